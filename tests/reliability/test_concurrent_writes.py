"""Against a real server process: a decision happens once and is committed before its 2xx,
simultaneous writes of different kinds queue up instead of failing, and a write waiting on a
lock leaves the server answering everyone else."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from coach.core.db import RECORDS_LOCK, make_engine, migrate, write_lock
from coach.core.models import ApprovalRecord, CheckIn, Metric
from coach.core.settings import Settings
from coach.drafts.store import Provenance, create_draft
from tests.factories import auth, seed_org
from tests.server import api_server

PAIRS = 50
MIXED = 30  # a third each: imports, approvals, HR notes

HISTORY = """employee_id,period,metric,value
A1,2026Q1,revenue,80
A1,2026Q2,revenue,90.5
A2,2026Q2,revenue,70
"""
METRICS = """metric,name,unit,direction,period_type
revenue,销售回款,万元,higher_is_better,quarter
csat,满意度,分,higher_is_better,month
"""


@dataclass
class Live:
    url: str
    engine: Engine
    tokens: dict[str, str]
    drafts: list[str]
    checkins: list[str]


def _seed(
    engine: Engine, drafts: int, checkins: int
) -> tuple[dict[str, str], list[str], list[str]]:
    with Session(engine) as session:
        tokens = seed_org(session)
        session.add(Metric(metric="revenue", name="销售回款", unit="万元"))
        draft_ids = [
            create_draft(
                session, kind="feedback", employee_id="A1", requester=None,
                inputs={"n": n}, output={"summary": f"草稿 {n}"},
                provenance=Provenance(provider="offline"),
            ).id
            for n in range(drafts)
        ]  # fmt: skip
        checkin_ids = [f"C{n}" for n in range(checkins)]
        for checkin_id in checkin_ids:
            session.add(CheckIn(checkin_id=checkin_id, employee_id="A1", manager_id="M1",
                                date=date(2026, 11, 2)))  # fmt: skip
        session.commit()
    return tokens, draft_ids, checkin_ids


@contextmanager
def _live(tmp_path: Path, database_url: str, **env: str) -> Iterator[Live]:
    """A migrated, seeded database and a uvicorn process serving it, with `env` added."""
    settings = Settings(home=tmp_path / "server-home", database_url=database_url)
    settings.ensure_home()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    tokens, drafts, checkins = _seed(engine, drafts=2 * PAIRS + MIXED, checkins=MIXED)
    env |= {"COACH_HOME": str(settings.home), "COACH_LLM_PROVIDER": "offline"}
    if database_url:
        env["COACH_DATABASE_URL"] = database_url
    try:
        with api_server(env, tmp_path / "server.log") as url:
            yield Live(url, engine, tokens, drafts, checkins)
    finally:
        engine.dispose()


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[Live]:
    with _live(tmp_path, database_url) as served:
        yield served


@pytest.fixture
def live_one_connection(tmp_path: Path, database_url: str) -> Iterator[Live]:
    """The same, with a pool of one connection: far fewer than the requests at once."""
    with _live(tmp_path, database_url, COACH_DB_POOL_SIZE="1", COACH_DB_MAX_OVERFLOW="0") as served:
        yield served


def _decide(client: httpx.Client, token: str, draft_id: str, approve: bool) -> httpx.Response:
    if approve:
        return client.post(f"/v1/drafts/{draft_id}/approve", headers=auth(token))
    return client.post(
        f"/v1/drafts/{draft_id}/reject", json={"reason": "重复决定"}, headers=auth(token)
    )


def _status_seen(client: httpx.Client, token: str, draft_id: str) -> str:
    return str(client.get(f"/v1/drafts/{draft_id}", headers=auth(token)).json()["status"])


def _decisions_per_draft(engine: Engine, draft_ids: list[str]) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(ApprovalRecord.draft_id, func.count())
            .where(col(ApprovalRecord.draft_id).in_(draft_ids))
            .group_by(col(ApprovalRecord.draft_id))
        ).all()
    return {draft_id: dict(rows).get(draft_id, 0) for draft_id in draft_ids}


def _run_together(
    jobs: list[Callable[[httpx.Client], object]], url: str | Sequence[str], *, timeout: float = 60
) -> list[object]:
    """Run each job on its own thread and client, all released at the same instant.

    With several URLs, job i goes to URL i modulo their number (one server process each).
    """
    urls = [url] if isinstance(url, str) else list(url)
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int) -> None:
        with httpx.Client(base_url=urls[index % len(urls)], timeout=timeout) as client:
            barrier.wait()
            try:
                results[index] = jobs[index](client)
            except httpx.HTTPError as exc:
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout + 30)
    return results


def test_a_second_decision_one_after_the_other_is_a_409(live: Live) -> None:
    manager = live.tokens["manager"]
    pairs = live.drafts[:PAIRS]
    outcomes = []
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for n, draft_id in enumerate(pairs):
            first = _decide(client, manager, draft_id, approve=True)
            second = _decide(client, manager, draft_id, approve=n % 2 == 0)
            outcomes.append(
                (first.status_code, second.status_code, _status_seen(client, manager, draft_id))
            )
    assert outcomes == [(200, 409, "approved")] * PAIRS, Counter(outcomes)
    assert set(_decisions_per_draft(live.engine, pairs).values()) == {1}


def test_two_decisions_at_the_same_instant_give_one_2xx_and_one_409(live: Live) -> None:
    manager = live.tokens["manager"]
    pairs = live.drafts[PAIRS : 2 * PAIRS]
    counts: list[tuple[int, ...]] = []
    stale_reads = []
    for n, draft_id in enumerate(pairs):

        def job(approve: bool, draft_id: str = draft_id) -> Callable[[httpx.Client], object]:
            def call(client: httpx.Client) -> tuple[int, str | None]:
                response = _decide(client, manager, draft_id, approve)
                # Read back on the same connection the moment the 2xx arrives.
                seen = _status_seen(client, manager, draft_id) if response.is_success else None
                return response.status_code, seen

            return call

        results = _run_together([job(True), job(n % 2 == 0)], live.url)
        codes = tuple(sorted(r[0] for r in results if isinstance(r, tuple)))
        counts.append(codes)
        expected = {"approved"} if n % 2 == 0 else {"approved", "rejected"}
        stale_reads += [
            r[1] for r in results if isinstance(r, tuple) and r[1] not in (None, *expected)
        ]
    assert counts == [(200, 409)] * PAIRS, Counter(counts)
    assert stale_reads == [], Counter(stale_reads)
    assert set(_decisions_per_draft(live.engine, pairs).values()) == {1}


def test_thirty_simultaneous_writes_of_three_kinds_all_succeed(live: Live) -> None:
    admin, manager, hr = live.tokens["admin"], live.tokens["manager"], live.tokens["hr"]
    approvals = live.drafts[2 * PAIRS : 2 * PAIRS + MIXED // 3]

    def import_file(kind: str, text: str) -> Callable[[httpx.Client], object]:
        files = {"file": (f"{kind}.csv", text.encode(), "text/csv")}
        return lambda c: c.post(f"/v1/imports/{kind}", files=files, headers=auth(admin)).status_code

    def approve(draft_id: str) -> Callable[[httpx.Client], object]:
        return lambda c: _decide(c, manager, draft_id, approve=True).status_code

    def note(checkin_id: str) -> Callable[[httpx.Client], object]:
        url, body = f"/v1/audit/dialogues/{checkin_id}/notes", {"note": "反馈空泛,需辅导"}
        return lambda c: c.post(url, json=body, headers=auth(hr)).status_code

    files = [("metrics", METRICS) if n % 2 else ("history", HISTORY) for n in range(MIXED // 3)]
    jobs = [
        *(import_file(kind, text) for kind, text in files),
        *(approve(d) for d in approvals),
        *(note(c) for c in live.checkins[: MIXED // 3]),
    ]
    results = _run_together(jobs, live.url)
    expected = [200] * (MIXED // 3) * 2 + [201] * (MIXED // 3)
    assert results == expected, Counter(map(str, results))
    assert set(_decisions_per_draft(live.engine, approvals).values()) == {1}


def test_the_server_answers_while_an_import_waits_on_a_held_lock(live: Live) -> None:
    admin = live.tokens["admin"]
    files = {"file": ("metrics.csv", METRICS.encode(), "text/csv")}
    outcome: list[int] = []
    health: list[int] = []
    with Session(live.engine) as holder:
        write_lock(holder, RECORDS_LOCK)  # on SQLite: the database's write lock
        importer = threading.Thread(
            target=lambda: outcome.append(
                httpx.post(f"{live.url}/v1/imports/metrics", files=files, headers=auth(admin),
                           timeout=60).status_code
            )
        )  # fmt: skip
        importer.start()
        # Held for seconds (under PostgreSQL's lock timeout): the import waits in its thread,
        # and the event loop goes on answering. Generous bounds: a blocked loop never answers.
        for _ in range(3):
            time.sleep(2)
            health.append(httpx.get(f"{live.url}/healthz", timeout=5).status_code)
        still_waiting = importer.is_alive()
        holder.rollback()
    importer.join(timeout=60)
    assert health == [200, 200, 200]
    assert still_waiting and outcome == [200]


def test_more_requests_than_threads_share_a_one_connection_pool(
    live_one_connection: Live,
) -> None:
    # 90 requests at once against 40 threads and one connection. A request that holds the
    # connection still needs a thread to validate its answer before it commits; were every
    # thread waiting for the connection, all of them would wait out the pool timeout (503).
    live = live_one_connection
    manager = live.tokens["manager"]
    decided = live.drafts[: 2 * PAIRS]
    jobs: list[Callable[[httpx.Client], object]] = [
        lambda c, d=draft_id: _decide(c, manager, d, approve=True).status_code
        for draft_id in decided
    ]
    jobs += [
        lambda c, d=draft_id: c.get(f"/v1/drafts/{d}", headers=auth(manager)).status_code
        for draft_id in live.drafts[2 * PAIRS :]
    ]
    results = _run_together(jobs, live.url, timeout=25)
    assert Counter(results) == Counter({200: len(jobs)}), Counter(map(str, results))
    assert set(_decisions_per_draft(live.engine, decided).values()) == {1}
