"""Throughput of the batch vague-comment check on 10,000 comments sampled from the data set.

Run: ``python -m benchmarks.comments_bench`` (or ``python benchmarks/comments_bench.py``).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from coach.quality import check_comments
from coach.quality.classifier import default_model

DATA = Path(__file__).resolve().parents[1] / "evals" / "data" / "comments.jsonl"
N = 10_000
SEED = 20261123


def main() -> None:
    """Time one check_comments call over N sampled comments and print the rate."""
    texts = [
        json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines() if line
    ]
    batch = random.Random(SEED).choices(texts, k=N)
    started = time.perf_counter()
    default_model()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    results = check_comments(batch)
    elapsed = time.perf_counter() - started
    vague = sum(r.vague for r in results)
    print(f"model load: {loaded:.3f} s")
    print(
        f"{N} comments in {elapsed:.2f} s = {N / elapsed:,.0f} comments/s ({vague} flagged vague)"
    )


if __name__ == "__main__":
    main()
