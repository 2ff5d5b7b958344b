"""A feedback draft in a large organisation: its time and the server's liveness meanwhile.

For each size (default 500 and 50,000 employees) a fresh SQLite home gets the demo company
plus synthetic colleagues (three-character Chinese names, eight reports per manager,
inserted with SQLAlchemy core `insert()`), so the person asked about, E012, has the same
records at every size and only the organisation around them grows. The service runs in a
subprocess (uvicorn, one worker) with the OpenAI provider pointed at a loopback fake LLM
that answers the chat completions call after `--latency` seconds with the offline draft,
masked as the service masks it, so every draft takes the LLM path. The driver asks for
`--drafts` feedback drafts as the demo manager, one after another and alternating between
the sizes (all served at once, so whatever else loads the machine weighs on every size
alike), while a thread per server polls `GET /healthz` every 20 ms.

Targets: the median draft at the large size within ±20 % of the small one, and every
`/healthz` answered within 100 ms. Exits 1 when a target is missed.
Run: ``python -m benchmarks.large_org [--sizes 500,50000] [--drafts 20] [--latency 0.05]``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, select

from coach.chains.common import pseudonymizer_for
from coach.chains.feedback import compose_feedback
from coach.chains.records import load_names, load_snapshot
from coach.core.db import engine_for, migrate, session_scope
from coach.core.models import Employee
from coach.core.settings import Settings
from coach.demo import TODAY, seed_demo

ROOT = Path(__file__).resolve().parents[1]
EMPLOYEE = "E012"
BRANCHING = 8
CHUNK = 10_000
RATIO_TOLERANCE = 0.20
HEALTH_BAR_MS = 100.0
HEALTH_EVERY = 0.020
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅飞鑫波宇浩凯健俊帆琳晨"


def _synthetic_people(count: int, top: str, seed: int = 7) -> Iterator[dict[str, Any]]:
    """`count` colleagues in a tree below `top`, eight reports per manager."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    ids = [f"S{i:06d}" for i in range(count)]
    for i, employee_id in enumerate(ids):
        manager = top if i < BRANCHING else ids[i // BRANCHING - 1]
        yield {
            "employee_id": employee_id,
            "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN),
            "role": "专员", "level": "P2", "department": f"事业部{i % 12}",
            "team": f"组{i // BRANCHING:05d}", "manager_id": manager, "hire_date": None,
            "updated_at": now,
        }  # fmt: skip


def build(home: Path, employees: int) -> tuple[str, dict[str, Any]]:
    """A home with the demo company grown to `employees`; the manager token and the LLM answer."""
    engine = engine_for(Settings(home=home))
    migrate(engine)
    with session_scope(engine) as session:
        tokens = seed_demo(session)
        demo_size = session.exec(select(func.count()).select_from(Employee)).one()
    rows = list(_synthetic_people(max(0, employees - demo_size), top="E001"))
    with session_scope(engine) as session:
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(Employee), rows[start : start + CHUNK])
    with Session(engine) as session:
        snapshot = load_snapshot(
            session, employee_id=EMPLOYEE, draft_kind="feedback", as_of=TODAY, cycle="latest"
        )
        directory = load_names(session, snapshot)
    payload = compose_feedback(snapshot).model_dump(mode="json", exclude={"quality_flags"})
    answer = pseudonymizer_for(snapshot, directory).mask_value(payload)
    engine.dispose()
    return tokens.manager, answer


def _completion(arguments: dict[str, Any]) -> bytes:
    return json.dumps({
        "id": "bench", "object": "chat.completion", "created": 1, "model": "bench-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                     "tool_calls": [{"id": "c", "type": "function", "function": {
                         "name": "FeedbackDraft", "arguments": json.dumps(arguments, ensure_ascii=False)}}]}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 400, "total_tokens": 1400},
    }).encode()  # fmt: skip


class FakeLLM:
    """A loopback chat-completions endpoint that answers every call with one draft."""

    def __init__(self, answer: dict[str, Any], latency: float) -> None:
        body, calls = _completion(answer), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(latency)
                calls.count += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.count = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HealthPoller:
    """GET /healthz every `every` s; latencies in ms (a failure counts as at least 10 s).

    One kept-alive connection by default; `reconnect` opens one per poll, so that behind
    several worker processes sharing a socket each poll may reach a different worker.
    """

    def __init__(self, port: int, *, every: float = HEALTH_EVERY, reconnect: bool = False) -> None:
        self.port = port
        self.every = every
        self.reconnect = reconnect
        self.latencies: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def _run(self) -> None:
        conn = self._connect()
        while not self._stop.wait(self.every):
            started = time.perf_counter()
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            if self.reconnect or not ok:
                conn.close()
                conn = self._connect()
            elapsed = (time.perf_counter() - started) * 1000
            self.latencies.append(elapsed if ok else max(elapsed, 10_000.0))
            self.failures += not ok
        conn.close()

    def __enter__(self) -> HealthPoller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode} during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready in time")


def _draft(port: int, token: str) -> tuple[float, int, str]:
    body = json.dumps({"employee_id": EMPLOYEE, "cycle": "latest", "date": TODAY.isoformat()})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("POST", "/v1/feedback/drafts", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    payload = json.loads(response.read() or b"{}")
    elapsed = time.perf_counter() - started
    conn.close()
    provider = payload.get("provenance", {}).get("provider", "") if response.status == 201 else ""
    return elapsed, response.status, provider


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Served:
    """One organisation in its own home, served by its own process, with its own fake LLM."""

    def __init__(self, size: int, latency: float, workdir: Path) -> None:
        self.size = size
        home = workdir / f"home-{size}"
        started = time.perf_counter()
        self.token, answer = build(home, size)
        self.build_seconds = time.perf_counter() - started
        self.port = _free_port()
        self.llm = FakeLLM(answer, latency).__enter__()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))}
        env.update(
            COACH_HOME=str(home), COACH_LLM_PROVIDER="openai", OPENAI_API_KEY="sk-bench",
            OPENAI_BASE_URL=self.llm.url, COACH_LLM_MAX_RETRIES="0", PYTHONPATH=str(ROOT),
        )  # fmt: skip
        self.log = (workdir / f"server-{size}.log").open("wb")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.large_org", "--serve", str(self.port)],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.results: list[tuple[float, int, str]] = []
        self.poller = HealthPoller(self.port)

    def ready(self) -> None:
        """Wait for the server, then one draft to warm up imports, templates and the name index."""
        _wait_ready(self.port, self.server)
        _draft(self.port, self.token)

    def draft(self) -> None:
        """Time one feedback draft."""
        self.results.append(_draft(self.port, self.token))

    def stop(self) -> None:
        """Stop the server and the fake LLM."""
        self.server.terminate()
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.log.close()
        self.llm.__exit__()

    def report(self) -> dict[str, Any]:
        """The figures of this size."""
        times = [r[0] for r in self.results]
        health = self.poller.latencies
        return {
            "employees": self.size,
            "build_seconds": round(self.build_seconds, 1),
            "draft_median_ms": round(statistics.median(times) * 1000, 1),
            "draft_max_ms": round(max(times) * 1000, 1),
            "statuses": sorted({r[1] for r in self.results}),
            "providers": sorted({r[2] for r in self.results}),
            "llm_calls": self.llm.count,
            "health_polls": len(health),
            "health_failures": self.poller.failures,
            "health_p50_ms": round(_percentile(health, 0.50), 1),
            "health_p99_ms": round(_percentile(health, 0.99), 1),
            "health_max_ms": round(max(health), 1),
        }


def measure(sizes: list[int], drafts: int, latency: float, workdir: Path) -> list[dict[str, Any]]:
    """Serve every size at once and alternate drafts between them, so load hits all alike."""
    served: list[Served] = []
    try:
        for size in sizes:
            served.append(Served(size, latency, workdir))
        for one in served:
            one.ready()
        with contextlib.ExitStack() as stack:
            for one in served:
                stack.enter_context(one.poller)
            time.sleep(0.2)
            for _ in range(drafts):
                for one in served:
                    one.draft()
            time.sleep(0.2)
    finally:
        for one in served:
            one.stop()
    return [one.report() for one in served]


def serve(port: int) -> None:
    """The service on the environment's settings (no practice library: feedback needs none)."""
    import uvicorn

    from api.main import create_app

    uvicorn.run(create_app(Settings()), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    """Measure each size, print the figures beside the targets, exit 1 on a miss."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,50000", help="Employees per organisation.")
    parser.add_argument("--drafts", type=int, default=20, help="Feedback drafts per size.")
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds per LLM call.")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="coach-bench-large-") as tmp:
        reports = measure(sizes, args.drafts, args.latency, Path(tmp))
    print(f"1-minute load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
          f"({os.cpu_count()} cores)")  # fmt: skip
    print(f"{args.drafts} feedback drafts for {EMPLOYEE} per size, alternating between sizes; "
          f"fake LLM answers after {args.latency * 1000:.0f} ms; /healthz polled every "
          f"{HEALTH_EVERY * 1000:.0f} ms")  # fmt: skip
    for r in reports:
        print(f"{r['employees']:>7,} employees (built in {r['build_seconds']} s): draft median "
              f"{r['draft_median_ms']} ms, max {r['draft_max_ms']} ms, statuses {r['statuses']}, "
              f"providers {r['providers']}, LLM calls {r['llm_calls']}; /healthz {r['health_polls']} "
              f"polls, p50 {r['health_p50_ms']} ms, p99 {r['health_p99_ms']} ms, max "
              f"{r['health_max_ms']} ms, failures {r['health_failures']}")  # fmt: skip
    small, large = reports[0], reports[-1]
    ratio = large["draft_median_ms"] / small["draft_median_ms"]
    worst = max(r["health_max_ms"] for r in reports)
    all_llm = all(r["statuses"] == [201] and r["providers"] == ["openai"] for r in reports)
    ratio_ok = abs(ratio - 1) <= RATIO_TOLERANCE
    health_ok = worst < HEALTH_BAR_MS
    print(f"draft ratio {large['employees']:,}/{small['employees']:,}: {ratio:.2f} "
          f"(target 1 ± {RATIO_TOLERANCE:.2f}): {'met' if ratio_ok else 'MISSED'}")  # fmt: skip
    print(f"/healthz max over all sizes: {worst} ms (target < {HEALTH_BAR_MS:.0f} ms): "
          f"{'met' if health_ok else 'MISSED'}")  # fmt: skip
    print(f"every draft 201 from the LLM: {'yes' if all_llm else 'NO'}")
    if not (ratio_ok and health_ok and all_llm):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
