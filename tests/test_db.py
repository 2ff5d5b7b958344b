"""Units of work that lose a lock race: rolled back whole and reported as `Busy`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, QueuePool, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, col, select

from api.main import create_app
from coach.core import db
from coach.core.db import RECORDS_LOCK, engine_for, make_engine, migrate, session_scope, write_lock
from coach.core.errors import Busy
from coach.core.models import Metric
from coach.core.settings import Settings
from tests.factories import auth


@pytest.fixture
def engine(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database with one metric, whose SQLite writers wait one second for a lock."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_S", 1)
    settings.ensure_home()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    with Session(engine) as session:
        session.add(Metric(metric="revenue", name="销售回款"))
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def holder(engine: Engine) -> Iterator[Connection]:
    """Another transaction, holding the lock on the metric's row (on SQLite: the write lock)."""
    with engine.connect() as connection:
        connection.execute(update(Metric).values(name="别的事务"))
        yield connection
        connection.rollback()


def test_a_write_that_waits_too_long_for_its_lock_is_busy_and_writes_nothing(
    engine: Engine, holder: Connection
) -> None:
    with pytest.raises(Busy, match="nothing was saved"), session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL lock_timeout = '200ms'"))
        session.add(Metric(metric="csat", name="满意度"))
        session.execute(update(Metric).where(col(Metric.metric) == "revenue").values(name="改名"))
    holder.rollback()
    with Session(engine) as session:
        assert [(m.metric, m.name) for m in session.exec(select(Metric)).all()] == [
            ("revenue", "销售回款")
        ]


def test_the_api_answers_busy_with_503_and_retry_after(
    settings: Settings, engine: Engine, tokens: dict[str, str]
) -> None:
    # PostgreSQL's writers give up after COACH_DB_LOCK_TIMEOUT (SQLite's: see the fixture).
    app = create_app(settings.model_copy(update={"db_lock_timeout": 1.0}))
    app.state.engine.dispose()  # its next connections wait one second for a lock
    csv = b"metric,name,unit,direction,period_type\ncsat,x,,higher_is_better,month\n"
    with TestClient(app) as client, Session(engine) as holder:
        write_lock(holder, RECORDS_LOCK)  # on SQLite: the database's write lock
        response = client.post(
            "/v1/imports/metrics", files={"file": ("m.csv", csv)}, headers=auth(tokens["admin"])
        )
        holder.rollback()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"


def test_postgresql_pools_are_bounded_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://coach@127.0.0.1:1/never-connected"
    assert _pool_bounds(engine_for(Settings(database_url=url))) == (5, 5)  # 8 workers fit in 100
    monkeypatch.setenv("COACH_DB_POOL_SIZE", "3")
    monkeypatch.setenv("COACH_DB_MAX_OVERFLOW", "1")
    assert _pool_bounds(engine_for(Settings(database_url=url))) == (3, 1)


def _pool_bounds(engine: Engine) -> tuple[int, int]:
    assert isinstance(engine.pool, QueuePool)
    return engine.pool.size(), engine.pool._max_overflow


class _LockNotAvailable(Exception):
    sqlstate = "55P03"  # what psycopg reports when lock_timeout runs out


def test_a_pool_with_no_free_connection_is_busy_not_a_500(app: FastAPI) -> None:
    def read_without_a_connection() -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 5 reached, timed out")

    app.add_api_route("/v1/crowded-read", read_without_a_connection)
    response = TestClient(app).get("/v1/crowded-read")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"


def test_a_lock_timeout_outside_a_unit_of_work_is_busy_too(app: FastAPI) -> None:
    def read_that_timed_out() -> None:
        raise OperationalError("SELECT 1", {}, _LockNotAvailable())

    app.add_api_route("/v1/slow-read", read_that_timed_out)
    response = TestClient(app).get("/v1/slow-read")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1" and "nothing was saved" in response.text
