"""Two server processes on one PostgreSQL database: each answers, a decision taken through both
at once happens once, and what one writes the other reads (the suite's PostgreSQL pass only)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine

from coach.core.db import make_engine
from coach.drafts import registry
from coach.kinds import register_all
from tests import pg
from tests.factories import auth
from tests.reliability.test_concurrent_writes import (
    _decide,
    _decisions_per_draft,
    _run_together,
    _seed,
    _status_seen,
)
from tests.server import api_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not pg.TEST_DATABASE_URL, reason="needs COACH_TEST_DATABASE_URL"),
]

PAIRS = 10
# A request that takes this long has hung: the test fails instead of waiting for it.
TIMEOUT = 10.0
NEW_PERSON = """employee_id,name,role,level,department,team,manager_id,hire_date
W1,吴越,销售代表,P2,销售部,华东大区,M1,2026-11-02
"""


@dataclass
class TwoWorkers:
    urls: tuple[str, str]
    engine: Engine
    tokens: dict[str, str]
    drafts: list[str]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoWorkers]:
    """A migrated, seeded database of its own, served by two processes for the whole module."""
    # Module-wide, as starting two servers per test would cost more than the tests themselves.
    databases = pg.Databases(pg.TEST_DATABASE_URL)
    name = databases.migrated_template(f"coach_two_workers_{uuid.uuid4().hex}")
    url = databases.url_for(name)
    engine = make_engine(url)
    # The per-test kind registry does not exist yet at module scope: a private one for the seed.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "_KINDS", {})
        register_all()
        tokens, drafts, _ = _seed(engine, drafts=PAIRS + 1, checkins=0)
    workdir = tmp_path_factory.mktemp("two-workers")
    env = {
        "COACH_HOME": str(workdir / "home"),
        "COACH_DATABASE_URL": url,
        "COACH_LLM_PROVIDER": "offline",
    }
    try:
        with ExitStack() as stack:
            first = stack.enter_context(api_server(env, workdir / "worker-1.log"))
            second = stack.enter_context(api_server(env, workdir / "worker-2.log"))
            yield TwoWorkers((first, second), engine, tokens, drafts)
    finally:
        engine.dispose()
        databases.drop(name)
        databases.close()


def test_both_workers_answer_healthz(two_workers: TwoWorkers) -> None:
    for url in two_workers.urls:
        assert httpx.get(f"{url}/healthz", timeout=TIMEOUT).json() == {"status": "ok"}


def test_a_draft_approved_through_both_workers_at_once_is_decided_once(
    two_workers: TwoWorkers,
) -> None:
    manager = two_workers.tokens["manager"]
    pairs = two_workers.drafts[:PAIRS]
    outcomes: list[tuple[object, ...]] = []
    for draft_id in pairs:

        def approve(client: httpx.Client, draft_id: str = draft_id) -> int:
            return _decide(client, manager, draft_id, approve=True).status_code

        jobs: list[Callable[[httpx.Client], object]] = [approve, approve]
        results = _run_together(jobs, two_workers.urls, timeout=TIMEOUT)
        outcomes.append(tuple(sorted(map(str, results))))
        if outcomes[-1] != ("200", "409"):
            break  # one wrong pair is the finding; a hung service would make each one wait
    assert outcomes == [("200", "409")] * PAIRS, Counter(outcomes)
    assert set(_decisions_per_draft(two_workers.engine, pairs).values()) == {1}


def test_a_write_on_one_worker_is_read_on_the_other(two_workers: TwoWorkers) -> None:
    first, second = two_workers.urls
    admin, hr, manager = (two_workers.tokens[r] for r in ("admin", "hr", "manager"))
    draft_id = two_workers.drafts[-1]
    with (
        httpx.Client(base_url=first, timeout=TIMEOUT) as one,
        httpx.Client(base_url=second, timeout=TIMEOUT) as other,
    ):
        assert _status_seen(other, manager, draft_id) == "pending"
        assert _decide(one, manager, draft_id, approve=True).status_code == 200
        assert _status_seen(other, manager, draft_id) == "approved"

        files = {"file": ("employees.csv", NEW_PERSON.encode(), "text/csv")}
        imported = one.post("/v1/imports/employees", files=files, headers=auth(admin))
        assert imported.status_code == 200, imported.text
        seen = other.get("/v1/employees/W1", headers=auth(hr))
        assert seen.status_code == 200, seen.text
        assert seen.json()["name"] == "吴越"
