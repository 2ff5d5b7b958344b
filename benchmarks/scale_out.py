"""Scale-out: several worker processes on one database, under reads, double clicks and batches.

A fresh COACH_HOME gets the demo company (`coach demo`), on SQLite or on a new database of a
PostgreSQL server (COACH_TEST_DATABASE_URL; without it the benchmark runs itself under
`scripts/with-postgres.sh`, which starts a throwaway one). The service then runs with N
worker processes (`coach serve --workers N` where the code has it, else
`uvicorn api.main:create_app --factory --workers N`) in its own process group on a loopback
port. Three mixes run at each concurrency, closed loop (`benchmarks.load.closed_loop`):

- read: the manager's team page, the employee list, the manager's draft inbox, practice
  search and the comment check, in turn;
- write: a one-row check-in CSV import, a check-in topics draft, then the same draft
  approved by two clients at once (one 2xx and one 409 is right; two 2xx or a 5xx is not);
- write+batch: the write mix while HR keeps a review-cycle batch (topics for everyone)
  running, starting the next when one finishes.

Then (`restart`) the service is killed with SIGKILL while three such batches run and started
again, so that its workers resume them.

A thread polls `/healthz` every 0.5 s on a new connection each time (so it reaches every
worker), recording its worst latency and failures. Every request has a 60 s timeout and every
run a hard budget, so a hanging service is reported, not waited for; the servers are killed
with their process group however the run ends. Afterwards the database is checked: one
decision per draft at most, every batch item settled once with exactly one draft, and the
audit chain verifies.

Run: ``python -m benchmarks.scale_out --database postgres --workers 2 --concurrency 1,8,32
--duration 10`` (``--markdown FILE`` also writes the table).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from benchmarks.large_org import HealthPoller
from benchmarks.load import (
    Payload,
    closed_loop,
    endpoint_payloads,
    free_port,
    percentile,
    seed_home,
    wait_ready,
)
from benchmarks.machine import machine, peak_mib, reset_peak, rss_mib
from coach.batches import UNFINISHED
from coach.core.audit import ChainProblem, verify_chain
from coach.core.db import engine_for, make_engine
from coach.core.models import ApprovalRecord, BatchItem, BatchItemStatus, BatchJob, Draft
from coach.core.models import DraftStatus as DS
from coach.core.settings import Settings
from tests.pg import Databases  # the suite's way of making a throwaway database

ROOT = Path(__file__).resolve().parents[1]
MIXES = ("read", "write", "write+batch")
RESTART = "restart"  # after the mixes: kill the service mid-batch, start it again
CLIENT_TIMEOUT = 60.0
SLOW_MS = 30_000.0
HEALTH_EVERY = 0.5
# Past its duration a run may finish the requests in flight; beyond this it is cut short. A run
# is called hung when it was cut short or a request got no answer within CLIENT_TIMEOUT.
GRACE = CLIENT_TIMEOUT + 15.0
REPORTS = ("E012", "E013", "E014")  # the demo manager's (E011 陈静) direct reports
MANAGER_OF_REPORTS = "E011"
EVERYONE_BELOW = "E001"  # the demo company's head: a batch for the whole company
RESTART_BATCHES = 3
DECIDED = (DS.approved, DS.rejected)
SETTLED_FINE = (DS.pending, DS.approved, DS.rejected)
Step = Callable[[int], Awaitable[None]]
Activity = Callable[[], str]


@dataclass
class Tally:
    """The requests of one run: latencies of every answer, statuses, errors, double clicks."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    clicks: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    batches_started: int = 0
    batches_finished: int = 0
    batch_seconds: list[float] = field(default_factory=list)

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        label: str,
        expect: tuple[int, ...] = (200, 201, 202),
        **kwargs: Any,
    ) -> httpx.Response | None:
        """Send one request and record it; None if it got no answer."""
        self.in_flight += 1
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.transport_errors[f"{label}: {type(exc).__name__}"] += 1
            return None
        finally:
            self.in_flight -= 1
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.statuses[str(response.status_code)] += 1
        if response.status_code not in expect:
            self.unexpected[f"{label} {response.status_code}"] += 1
        return response


@dataclass
class Row:
    """One mix at one concurrency."""

    mix: str
    concurrency: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_5xx: int
    over_30s: int
    no_answer: int
    hung: bool
    health_polls: int
    health_worst_ms: float
    health_failures: int
    statuses: dict[str, int]
    unexpected: dict[str, int]
    clicks: dict[str, int]
    batches: str
    server_peak_mib: float
    db_activity: str = ""


@dataclass
class Check:
    """One consistency check of the database after the run."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """Everything one scale-out run measured."""

    database: str
    workers: int
    command: str
    machine: dict[str, Any]
    demo_seconds: float
    startup_seconds: float
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- the server -------------------------------------------------------------------------


def serve_command(workers: int, port: int, env: dict[str, str]) -> list[str]:
    """`coach serve --workers N` if this code has the option, else uvicorn's own workers."""
    helped = subprocess.run(
        [sys.executable, "-m", "coach.cli", "serve", "--help"], env={**env, "COLUMNS": "200"},
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    where = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if "--workers" in helped.stdout:
        return [sys.executable, "-m", "coach.cli", "serve", *where]
    return [
        sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", *where,
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor and its workers)."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            queue.extend(int(c) for c in children)
    return pids


def tree_rss_mib(pid: int) -> float:
    """Resident memory of the server's processes together."""
    return sum(rss_mib(p) for p in _process_tree(pid))


def _kill_group(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL if it is still there after 15 s."""
    if server.poll() is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # workers a dead supervisor left behind
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


@contextlib.contextmanager
def running_server(
    command: list[str], *, env: dict[str, str], log: Path, base_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """The server in its own process group until it answers /healthz; killed whatever happens."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_ready(base_url, server)
            yield server
        finally:
            _kill_group(server)


# --- the mixes --------------------------------------------------------------------------


@dataclass
class Clients:
    """One client per identity; two for the manager so a double click uses two connections."""

    hr: httpx.AsyncClient
    admin: httpx.AsyncClient
    manager: httpx.AsyncClient
    manager_again: httpx.AsyncClient
    web: httpx.AsyncClient  # the manager signed in to the web pages (a session cookie)

    async def aclose(self) -> None:
        """Close every connection pool."""
        for client in (self.hr, self.admin, self.manager, self.manager_again, self.web):
            await client.aclose()


def _client(base_url: str, concurrency: int, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=64)
    return httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=CLIENT_TIMEOUT, limits=limits
    )


async def _sign_in(web: httpx.AsyncClient, token: str) -> None:
    form = await web.get("/signin")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if not found:
        raise RuntimeError("no CSRF token on the sign-in page")
    answer = await web.post("/signin", data={"token": token, "csrf_token": found[1]})
    if answer.status_code != 303:
        raise RuntimeError(f"web sign-in answered {answer.status_code}")


async def open_clients(base_url: str, tokens: dict[str, str], concurrency: int) -> Clients:
    """Clients for HR, the admin and the demo manager (API and web)."""
    clients = Clients(
        hr=_client(base_url, concurrency, tokens["hr"]),
        admin=_client(base_url, concurrency, tokens["admin"]),
        manager=_client(base_url, concurrency, tokens["manager"]),
        manager_again=_client(base_url, concurrency, tokens["manager"]),
        web=_client(base_url, concurrency),
    )
    await _sign_in(clients.web, tokens["manager"])
    return clients


def _read_step(clients: Clients, tally: Tally, payloads: dict[str, tuple[str, Payload]]) -> Step:
    comment_path, comment = payloads["comment check"]
    search_path, search = payloads["practice search"]

    async def step(n: int) -> None:
        match n % 5:
            case 0:
                await tally.call(clients.web, "GET", "/team", label="team page")
            case 1:
                await tally.call(
                    clients.hr, "GET", "/v1/employees", params={"limit": 100}, label="employees"
                )
            case 2:
                await tally.call(clients.manager, "GET", "/v1/drafts", label="draft inbox")
            case 3:
                await tally.call(
                    clients.hr, "POST", search_path, json=search(n), label="practice search"
                )
            case _:
                await tally.call(
                    clients.hr, "POST", comment_path, json=comment(n), label="comment check"
                )

    return step


def _checkin_csv(checkin_id: str, employee_id: str) -> bytes:
    header = (
        "checkin_id,employee_id,manager_id,date,progress,obstacles,support_needed,"
        "next_actions,manager_feedback"
    )
    row = (
        f"{checkin_id},{employee_id},{MANAGER_OF_REPORTS},2026-11-20,本月拜访客户 12 家,"
        "报价审批慢,希望简化审批,下周完成两家续约,拜访量比上月多 3 家，续约推进及时"
    )
    return f"{header}\n{row}\n".encode()


def _write_step(clients: Clients, tally: Tally, run_id: str) -> Step:
    async def step(n: int) -> None:
        employee = REPORTS[n % len(REPORTS)]
        csv = _checkin_csv(f"LOAD-{run_id}-{n}", employee)
        files = {"file": ("checkins.csv", csv, "text/csv")}
        await tally.call(
            clients.admin, "POST", "/v1/imports/checkins", files=files, label="check-in import"
        )
        drafted = await tally.call(
            clients.manager, "POST", "/v1/checkins/topics", json={"employee_id": employee},
            label="topics draft",
        )  # fmt: skip
        if drafted is None or drafted.status_code != 201:
            return
        path = f"/v1/drafts/{drafted.json()['draft_id']}/approve"
        first, second = await asyncio.gather(
            tally.call(clients.manager, "POST", path, label="approve", expect=(200, 409)),
            tally.call(clients.manager_again, "POST", path, label="approve", expect=(200, 409)),
        )
        tally.clicks[_click_outcome(first, second)] += 1

    return step


def _click_outcome(first: httpx.Response | None, second: httpx.Response | None) -> str:
    codes = sorted(r.status_code if r is not None else 0 for r in (first, second))
    if codes == [200, 409]:
        return "one 200 + one 409"
    if codes == [200, 200]:
        return "two 200 (decided twice)"
    return "other " + "/".join(str(c) if c else "no answer" for c in codes)


async def _keep_a_batch_running(clients: Clients, tally: Tally, stop: asyncio.Event) -> None:
    """HR starts a batch for everyone, waits for it to finish, starts the next, until `stop`."""
    body = {"kind": "checkin_topics", "manager_id": EVERYONE_BELOW}
    while not stop.is_set():
        started = time.perf_counter()
        created = await tally.call(clients.hr, "POST", "/v1/batches", json=body, label="batch")
        if created is None or created.status_code != 202:
            await asyncio.sleep(1)
            continue
        tally.batches_started += 1
        job = created.json()["id"]
        while True:
            await asyncio.sleep(0.5)
            seen = await tally.call(clients.hr, "GET", f"/v1/batches/{job}", label="batch view")
            if seen is not None and seen.status_code == 200 and seen.json()["status"] == "done":
                tally.batches_finished += 1
                tally.batch_seconds.append(time.perf_counter() - started)
                break
            if stop.is_set() and time.perf_counter() - started > GRACE:
                return  # reported as started but not finished


async def _run_mix(
    mix: str,
    clients: Clients,
    payloads: dict[str, tuple[str, Payload]],
    *,
    concurrency: int,
    seconds: float,
    activity: Activity | None = None,
) -> tuple[Tally, float, bool, str]:
    """One mix at one concurrency: tally, wall time, whether it overran its budget, and the
    database sessions at its end (`activity`, when given)."""
    tally = Tally()
    run_id = uuid.uuid4().hex[:8]
    step = (
        _read_step(clients, tally, payloads)
        if mix == "read"
        else _write_step(clients, tally, run_id)
    )
    stop = asyncio.Event()
    batch = (
        asyncio.create_task(_keep_a_batch_running(clients, tally, stop))
        if mix == "write+batch"
        else None
    )
    started = time.perf_counter()
    snapshot = asyncio.create_task(_activity_after(seconds, activity))
    overran = False
    try:
        await asyncio.wait_for(
            closed_loop(step, concurrency=concurrency, seconds=seconds), timeout=seconds + GRACE
        )
    except TimeoutError:
        overran = True
    stop.set()
    if batch is not None:
        try:
            await asyncio.wait_for(batch, timeout=GRACE + CLIENT_TIMEOUT)
        except TimeoutError:
            overran = True
    wall = time.perf_counter() - started
    sessions = await snapshot
    if overran:
        sessions += " | after the budget: " + await _activity_after(0, activity)
    return tally, wall, overran, sessions


async def _activity_after(seconds: float, activity: Activity | None) -> str:
    """`activity()` after `seconds` (as the load ends, while the requests still hold sessions)."""
    if activity is None:
        return ""
    await asyncio.sleep(seconds)
    try:
        return await asyncio.to_thread(activity)
    except SQLAlchemyError as exc:
        return f"pg_stat_activity unreadable: {type(exc).__name__}"


def _row(
    mix: str, concurrency: int, tally: Tally, wall: float, overran: bool, health: list[float],
    health_failures: int, peak: float,
) -> Row:  # fmt: skip
    answered = sorted(tally.latencies)
    no_answer = sum(tally.transport_errors.values()) + (tally.in_flight if overran else 0)
    timeouts = sum(n for key, n in tally.transport_errors.items() if "Timeout" in key)
    batches = (
        f"{tally.batches_finished}/{tally.batches_started} finished"
        + (f", longest {max(tally.batch_seconds):.1f} s" if tally.batch_seconds else "")
        if mix == "write+batch"
        else ""
    )
    return Row(
        mix=mix, concurrency=concurrency, seconds=round(wall, 1), requests=len(answered),
        rps=round(len(answered) / wall, 1) if wall else 0.0,
        p50_ms=round(statistics.median(answered), 1) if answered else float("nan"),
        p95_ms=round(percentile(answered, 0.95), 1), p99_ms=round(percentile(answered, 0.99), 1),
        max_ms=round(answered[-1], 1) if answered else float("nan"),
        server_5xx=sum(n for code, n in tally.statuses.items() if code.startswith("5")),
        over_30s=sum(1 for ms in answered if ms > SLOW_MS) + timeouts,
        no_answer=no_answer, hung=overran or timeouts > 0, health_polls=len(health),
        health_worst_ms=round(max(health), 1) if health else float("nan"),
        health_failures=health_failures, statuses=dict(tally.statuses),
        unexpected=dict(tally.unexpected), clicks=dict(tally.clicks), batches=batches,
        server_peak_mib=round(peak, 1),
    )  # fmt: skip


async def exercise(
    base_url: str,
    tokens: dict[str, str],
    server_pid: int,
    port: int,
    *,
    mixes: list[str],
    concurrencies: list[int],
    seconds: float,
    notes: list[str],
    activity: Activity | None = None,
) -> list[Row]:
    """Every mix at every concurrency, with the health probe running throughout."""
    payloads = endpoint_payloads()
    rows: list[Row] = []
    clients = await open_clients(base_url, tokens, max(concurrencies))
    poller = HealthPoller(port, every=HEALTH_EVERY, reconnect=True)
    try:
        with poller:
            # Warm-up: each worker loads the embedder and the comment model on first use.
            await _run_mix("read", clients, payloads, concurrency=4, seconds=3)
            for mix in mixes:
                for concurrency in concurrencies:
                    pids = _process_tree(server_pid)
                    for pid in pids:
                        reset_peak(pid)
                    first_poll, failures_before = len(poller.latencies), poller.failures
                    tally, wall, overran, sessions = await _run_mix(
                        mix, clients, payloads, concurrency=concurrency, seconds=seconds,
                        activity=activity,
                    )  # fmt: skip
                    row = _row(
                        mix, concurrency, tally, wall, overran, poller.latencies[first_poll:],
                        poller.failures - failures_before,
                        sum(peak_mib(p) for p in _process_tree(server_pid)),
                    )  # fmt: skip
                    row.db_activity = sessions
                    rows.append(row)
                    print(text_row(row), flush=True)
                    if row.hung and not await _answers(base_url):
                        notes.append(
                            f"{mix} at {concurrency} clients hung and /healthz no longer "
                            "answers: the remaining runs were skipped"
                        )
                        return rows
    finally:
        await clients.aclose()
    return rows


async def _answers(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as probe:
            return (await probe.get("/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


_ACTIVITY = text(
    "SELECT state, coalesce(wait_event_type || ':' || wait_event, '-') AS waiting, count(*) AS n,"
    " round(max(extract(epoch FROM now() - xact_start))::numeric, 1) AS oldest_s"
    " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " GROUP BY 1, 2 ORDER BY 3 DESC"
)


def _watcher(url: str) -> Engine:
    """An engine for pg_stat_activity that gives up within seconds rather than hang a run."""
    bounded = make_url(url).update_query_dict(
        {"connect_timeout": "5", "options": "-c statement_timeout=5000"}
    )
    return make_engine(bounded.render_as_string(hide_password=False))


def pg_activity(engine: Engine) -> str:
    """The server's sessions on this database by state and wait, with the oldest transaction."""
    with engine.connect() as connection:
        rows = connection.execute(_ACTIVITY).all()
    return "; ".join(
        f"{r.n} {r.state or 'no state'} (wait {r.waiting}, oldest transaction {r.oldest_s} s)"
        for r in rows
    )


# --- the checks -------------------------------------------------------------------------


def _batch_draft(draft: Draft) -> tuple[str, str] | None:
    """(batch id, employee) of a draft a batch created, before or after it was filled."""
    inputs = draft.inputs or {}
    request = inputs.get("request") or {}
    batch = inputs.get("batch_id") or request.get("batch_id")
    return (str(batch), draft.employee_id) if batch else None


def _commonest(errors: Iterable[str]) -> str:
    found = Counter(errors).most_common(1)
    return f"; the commonest error ({found[0][1]}×): {found[0][0]}" if found else ""


def _first_problem(problems: list[ChainProblem]) -> str:
    return f" (first: {problems[0].kind} at event {problems[0].event_id})" if problems else ""


def consistency(engine: Engine, *, interrupted: frozenset[int] = frozenset()) -> list[Check]:
    """One decision per draft, batch items settled once with one draft, the audit chain.

    An item in `interrupted` was running when the service was killed: resuming it claims it
    a second time, legitimately.
    """
    with Session(engine) as session:
        twice = session.exec(
            select(ApprovalRecord.draft_id, func.count()).group_by(col(ApprovalRecord.draft_id))
            .having(func.count() > 1)
        ).all()  # fmt: skip
        drafts = {d.id: d for d in session.exec(select(Draft)).all()}
        recorded = set(session.exec(select(ApprovalRecord.draft_id)).all())
        items = list(session.exec(select(BatchItem)).all())
        jobs = list(session.exec(select(BatchJob)).all())
        chain = verify_chain(session)
    decided = {i for i, d in drafts.items() if d.status in DECIDED}
    per_item = Counter(key for d in drafts.values() if (key := _batch_draft(d)))
    unsettled = [i for i in items if i.status in UNFINISHED]
    without_draft = [i for i in items if i.draft_id is None or i.draft_id not in drafts]
    duplicated = [key for key, n in per_item.items() if n > 1]
    reclaimed = [i for i in items if i.attempts > (2 if i.id in interrupted else 1)]
    wrongly_failed = [
        i for i in items
        if i.status == BatchItemStatus.failed and i.draft_id in drafts
        and drafts[i.draft_id].status in SETTLED_FINE
    ]  # fmt: skip
    running_jobs = [j for j in jobs if j.status != "done"]
    return [
        Check("at most one decision per draft", not twice, f"{len(twice)} drafts decided twice"),
        Check(
            "decided drafts and approval records agree",
            decided == recorded,
            f"{len(decided - recorded)} decided without a record, "
            f"{len(recorded - decided)} records on an undecided draft",
        ),
        Check(
            "every batch item settled",
            not unsettled and not running_jobs,
            f"{len(items)} items in {len(jobs)} batches; {len(unsettled)} items queued/running, "
            f"{len(running_jobs)} batches not done",
        ),
        Check(
            "every batch item claimed once (twice if a kill interrupted it)",
            not reclaimed,
            f"{len(reclaimed)} items claimed more often (two runners)",
        ),
        Check(
            "every batch item has exactly one draft",
            not without_draft and not duplicated,
            f"{len(without_draft)} without a draft, {len(duplicated)} with several",
        ),
        Check(
            "no item failed whose draft is fine",
            not wrongly_failed,
            f"{len(wrongly_failed)} failed items whose draft is pending or decided"
            + _commonest(
                re.sub(r"[0-9a-f]{32}", "<id>", str(i.error))[:120] for i in wrongly_failed
            ),
        ),
        Check(
            "audit chain verifies",
            chain.ok,
            f"{chain.events} events, {len(chain.problems)} problems"
            + _first_problem(chain.problems),
        ),
    ]


# --- the run ----------------------------------------------------------------------------


def run(
    *,
    database: str,
    workers: int,
    mixes: list[str],
    concurrencies: list[int],
    seconds: float,
    workdir: Path,
) -> Report:
    """Seed a fresh home, serve it with `workers` processes, run the mixes, check the database."""
    home = workdir / "home"
    databases = Databases(os.environ["COACH_TEST_DATABASE_URL"]) if database == "postgres" else None
    db_name = databases.create(f"coach_scale_out_{uuid.uuid4().hex[:8]}") if databases else ""
    url = databases.url_for(db_name) if databases else ""
    watcher = _watcher(url) if url else None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))}
    env.update(COACH_HOME=str(home), COACH_LLM_PROVIDER="offline", PYTHONPATH=str(ROOT))
    if url:
        env["COACH_DATABASE_URL"] = url
    notes: list[str] = []
    engine = engine_for(Settings(home=home, database_url=url))
    interrupted: frozenset[int] = frozenset()
    try:
        tokens, demo_s = seed_home(home, env)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        command = serve_command(workers, port, env)
        rows: list[Row] = []
        started = time.perf_counter()
        with running_server(command, env=env, log=workdir / "server.log", base_url=base_url) as s:
            startup_s = time.perf_counter() - started
            time.sleep(1.0)
            pids = _process_tree(s.pid)
            notes.append(
                f"{len(pids)} server processes, {tree_rss_mib(s.pid):.0f} MiB resident at rest"
            )
            if loads := [m for m in mixes if m in MIXES]:
                rows = asyncio.run(
                    exercise(
                        base_url, tokens, s.pid, port, mixes=loads, concurrencies=concurrencies,
                        seconds=seconds, notes=notes,
                        activity=functools.partial(pg_activity, watcher) if watcher else None,
                    )
                )  # fmt: skip
            if not _settled_within(engine, CLIENT_TIMEOUT):
                notes.append(f"batches still unfinished {CLIENT_TIMEOUT:.0f} s after the load")
        if RESTART in mixes:
            interrupted = restart_mid_batch(
                lambda p: serve_command(workers, p, env), env=env, workdir=workdir,
                engine=engine, hr_token=tokens["hr"], notes=notes,
            )  # fmt: skip
        # Checked with the servers gone: a hung one cannot hold a lock over the checks.
        checks = consistency(engine, interrupted=interrupted)
    finally:
        engine.dispose()
        if watcher is not None:
            watcher.dispose()
        if databases is not None:
            databases.drop(db_name)
            databases.close()
    shown = " ".join(
        "python" if c == sys.executable else "<port>" if c == str(port) else c for c in command
    )
    return Report(
        database=database, workers=workers, command=shown, machine=machine(),
        demo_seconds=round(demo_s, 1), startup_seconds=round(startup_s, 1), rows=rows,
        checks=checks, notes=notes,
    )  # fmt: skip


def _items(engine: Engine, jobs: list[str]) -> list[BatchItem]:
    with Session(engine) as session:
        return list(session.exec(select(BatchItem).where(col(BatchItem.job_id).in_(jobs))).all())


def restart_mid_batch(
    command_for: Callable[[int], list[str]],
    *,
    env: dict[str, str],
    workdir: Path,
    engine: Engine,
    hr_token: str,
    notes: list[str],
) -> frozenset[int]:
    """Kill the service (SIGKILL) while batches run, start it again and let it resume them.

    Every worker of the new service resumes the unfinished batches at start-up; the checks
    then show whether an item was generated by two of them. Returns the items that were
    running at the kill (they are resumed, so claimed twice, by design).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    body = {"kind": "checkin_topics", "manager_id": EVERYONE_BELOW}
    headers = {"Authorization": f"Bearer {hr_token}"}
    log = workdir / "server-before-kill.log"
    with running_server(command_for(port), env=env, log=log, base_url=base_url) as server:
        jobs = [
            httpx.post(f"{base_url}/v1/batches", json=body, headers=headers, timeout=CLIENT_TIMEOUT)
            .raise_for_status().json()["id"]
            for _ in range(RESTART_BATCHES)
        ]  # fmt: skip
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while time.monotonic() < deadline:
            if any(i.status == BatchItemStatus.done for i in _items(engine, jobs)):
                break
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)
    time.sleep(1.0)  # a commit the killed workers had sent may still land
    items = _items(engine, jobs)
    at_kill = dict(Counter(i.status.value for i in items))
    interrupted = frozenset(i.id for i in items if i.status == BatchItemStatus.running and i.id)
    port = free_port()
    log = workdir / "server-after-kill.log"
    with running_server(command_for(port), env=env, log=log, base_url=f"http://127.0.0.1:{port}"):
        finished = _settled_within(engine, CLIENT_TIMEOUT)
    notes.append(
        f"restart: killed (SIGKILL) with items {at_kill} in {RESTART_BATCHES} batches, started "
        f"again; {'all' if finished else '**not all**'} done within {CLIENT_TIMEOUT:.0f} s"
    )
    return interrupted


def _settled_within(engine: Engine, seconds: float) -> bool:
    """Whether every batch is done within `seconds` (read from the database, bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with Session(engine) as session:
            left = session.exec(
                select(func.count()).select_from(BatchJob).where(BatchJob.status != "done")
            ).one()
        if left == 0:
            return True
        time.sleep(1)
    return False


# --- output -----------------------------------------------------------------------------

HEADER = (
    f"{'mix':<12} {'conc':>4} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'max ms':>8} {'5xx':>4} {'>30s':>4} {'lost':>4} {'hung':>4} "
    f"{'health worst ms':>15} {'fail':>4}"
)


def text_row(r: Row) -> str:
    """A row of the plain-text table."""
    return (
        f"{r.mix:<12} {r.concurrency:>4} {r.requests:>8} {r.rps:>7.1f} {r.p50_ms:>8.1f} "
        f"{r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.max_ms:>8.1f} {r.server_5xx:>4} {r.over_30s:>4} "
        f"{r.no_answer:>4} {'yes' if r.hung else 'no':>4} {r.health_worst_ms:>15.1f} "
        f"{r.health_failures:>4}"
    )


def markdown(report: Report) -> str:
    """The rows, double clicks and checks as markdown."""
    m = report.machine
    lines = [
        f"{report.database}, {report.workers} worker(s): `{report.command}`; {m['date']}, code "
        f"{m['revision']}, {m['nproc']} cores, load average {m['loadavg'][0]} at the end",
        "",
        "| mix | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | 5xx | > 30 s "
        "| no answer | hung | /healthz worst ms (failures) | double clicks | batches |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        clicks = ", ".join(f"{k}: {v}" for k, v in sorted(r.clicks.items())) or "-"
        lines.append(
            f"| {r.mix} | {r.concurrency} | {r.requests} | {r.rps:.1f} | {r.p50_ms:.0f} "
            f"| {r.p95_ms:.0f} | {r.p99_ms:.0f} | {r.max_ms:.0f} | {r.server_5xx} | {r.over_30s} "
            f"| {r.no_answer} | {'**yes**' if r.hung else 'no'} "
            f"| {r.health_worst_ms:.0f} ({r.health_failures}) | {clicks} | {r.batches or '-'} |"
        )
    troubled = [r for r in report.rows if r.hung or r.server_5xx or r.over_30s or r.no_answer]
    lines += [""] + [
        f"- {r.mix} at {r.concurrency}: statuses {r.statuses}"
        + (f"; database sessions as the load ended: {r.db_activity}" if r.db_activity else "")
        for r in troubled
    ]
    lines += [f"- {note}" for note in report.notes]
    lines += [f"- {'pass' if c.ok else '**FAIL**'}: {c.name} ({c.detail})" for c in report.checks]
    return "\n".join(lines)


def summary(report: Report) -> str:
    """The whole report as plain text."""
    m = report.machine
    lines = [
        f"{report.database}, {report.workers} worker(s): {report.command}",
        f"machine: {m['nproc']} cores, load average {m['loadavg']}, code {m['revision']}",
        f"coach demo {report.demo_seconds:.1f} s; service ready in {report.startup_seconds:.1f} s",
        *report.notes,
        HEADER,
        *(text_row(r) for r in report.rows),
    ]
    for r in report.rows:
        odd = {k: v for k, v in r.statuses.items() if not k.startswith("2")}
        extra = [
            f"statuses {odd}" if odd else "",
            f"unexpected {r.unexpected}" if r.unexpected else "",
        ]
        extra += [f"double clicks {r.clicks}" if r.clicks else "", r.batches]
        extra.append(
            f"database sessions as the load ended: {r.db_activity}" if r.db_activity else ""
        )
        if shown := "; ".join(e for e in extra if e):
            lines.append(f"  {r.mix}@{r.concurrency}: {shown}")
    lines += [f"{'PASS' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in report.checks]
    return "\n".join(lines)


def _under_postgres(argv: list[str]) -> int:
    """Run this benchmark again under scripts/with-postgres.sh (a throwaway server)."""
    script = ROOT / "scripts" / "with-postgres.sh"
    command = ["bash", str(script), sys.executable, "-m", "benchmarks.scale_out", *argv]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print the tables and checks; exit 1 if a check fails."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", default="1,8,32", help="Comma list.")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="Seconds per mix and concurrency."
    )
    parser.add_argument(
        "--mix", action="append", choices=[*MIXES, RESTART], help="Only these (repeatable)."
    )
    parser.add_argument("--markdown", type=Path, help="Also write the markdown table here.")
    parser.add_argument("--keep", type=Path, help="Keep COACH_HOME and server.log in this folder.")
    args = parser.parse_args(argv)
    if args.database == "postgres" and not os.environ.get("COACH_TEST_DATABASE_URL"):
        sys.exit(_under_postgres(argv))
    # A SIGTERM unwinds like Ctrl-C, so the servers' process group is killed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="coach-scale-out-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        report = run(
            database=args.database, workers=args.workers, mixes=args.mix or [*MIXES, RESTART],
            concurrencies=[int(c) for c in args.concurrency.split(",")], seconds=args.duration,
            workdir=workdir,
        )  # fmt: skip
    print()
    print(summary(report))
    table = markdown(report)
    print()
    print(table)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table + "\n", "utf-8")
    if not all(c.ok for c in report.checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
