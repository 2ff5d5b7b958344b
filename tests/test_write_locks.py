"""On PostgreSQL: writers of different objects do not wait for each other, a writer stuck on a
lock, a slow statement or a transaction left idle fails its own unit of work as `Busy` instead
of holding every other writer up for good, and a seal never skips a writer still in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from coach.core.audit import record_event, seal_chain, verify_chain
from coach.core.db import make_engine, session_scope
from coach.core.errors import Busy
from coach.core.settings import DatabaseTimeouts
from tests import pg

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not pg.TEST_DATABASE_URL, reason="needs COACH_TEST_DATABASE_URL"),
]

# Short limits, so that a test waits seconds rather than the defaults' tens of seconds.
LIMITS = DatabaseTimeouts(statement=2, lock=1, idle_in_transaction=4)


@pytest.fixture
def pg_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, LIMITS)
    yield engine
    engine.dispose()


def _write(engine: Engine, object_id: str) -> None:
    with session_scope(engine) as session:
        record_event(session, actor="t", action="update", object_type="goal", object_id=object_id)


def test_a_writer_of_another_object_goes_on_while_one_holds_its_chain(pg_engine: Engine) -> None:
    with Session(pg_engine) as holder:
        record_event(holder, actor="h", action="update", object_type="goal", object_id="G1")
        done = threading.Event()
        writer = threading.Thread(target=lambda: (_write(pg_engine, "G2"), done.set()))
        writer.start()
        # Generous: the other writer needs milliseconds; with one lock for every chain it
        # waits for the holder's commit, however long that takes.
        went_on = done.wait(timeout=10)
        holder.commit()
        writer.join(timeout=30)
    assert went_on, "a writer of goal:G2 waited for the transaction holding goal:G1"
    with Session(pg_engine) as session:
        report = verify_chain(session)
    assert report.ok and report.events == 2


def test_a_writer_of_the_same_object_stuck_past_lock_timeout_is_busy(pg_engine: Engine) -> None:
    with Session(pg_engine) as holder:
        record_event(holder, actor="h", action="update", object_type="goal", object_id="G1")
        with pytest.raises(Busy, match="nothing was saved"):
            _write(pg_engine, "G1")
        holder.commit()
    _write(pg_engine, "G1")  # once the holder is done, the same write goes through
    with Session(pg_engine) as session:
        report = verify_chain(session)
    assert report.ok and report.events == 2


def test_a_statement_past_statement_timeout_is_busy(pg_engine: Engine) -> None:
    with pytest.raises(Busy), session_scope(pg_engine) as session:
        session.connection().execute(text("SELECT pg_sleep(30)"))


def test_a_transaction_left_idle_is_ended_and_its_lock_freed(pg_engine: Engine) -> None:
    with pytest.raises(Busy), session_scope(pg_engine) as stuck:
        record_event(stuck, actor="s", action="update", object_type="goal", object_id="G1")
        # A request whose session is left open (its thread stalled): past the idle limit
        # the server ends that transaction, and its chain lock with it.
        time.sleep(LIMITS.idle_in_transaction + 1.5)
        _write(pg_engine, "G1")
    with Session(pg_engine) as session:
        report = verify_chain(session)
    assert report.ok and report.events == 1  # the stuck write is gone, the other one stands


def test_a_seal_waits_for_writers_in_flight_and_anchors_the_event_no_one_saw(
    pg_engine: Engine,
) -> None:
    with Session(pg_engine) as slow:
        unseen = record_event(slow, actor="s", action="update", object_type="goal", object_id="G1")
        _write(pg_engine, "G2")  # commits first; the slow event is not visible to it
        # An id below the newest committed one is still on its way: no seal may skip it.
        assert seal_chain(pg_engine, wait_s=0.5) is None
        slow.commit()
        unseen_id = unseen.id
    seal = seal_chain(pg_engine)
    assert seal is not None and seal.chains == 2
    with pg_engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        connection.execute(text(f"DELETE FROM audit_events WHERE id = {unseen_id}"))
    with Session(pg_engine) as session:
        problems = [(p.event_id, p.kind) for p in verify_chain(session).problems]
    # No later event names it (its chain has no successor, the other writer never saw it):
    # only the seal remembers it.
    assert problems == [(unseen_id, "truncated")]
