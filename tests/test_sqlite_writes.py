"""On SQLite, writers of one process take turns: a turn ends with its transaction however it
ends (commit, rollback, a failed statement, a session closed without commit), a writer that
cannot get one in time is `Busy` with nothing written, and readers never wait for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coach.core import sqlite_writes
from coach.core.db import make_engine, session_scope, write_lock
from coach.core.errors import Busy

# Short, so that a leaked turn fails a test in a second instead of hanging it.
TURN_TIMEOUT_S = 1.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'turns.db'}", connect_args={"check_same_thread": False}
    )
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA journal_mode=WAL"))
    sqlite_writes.install(engine, TURN_TIMEOUT_S)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    yield engine
    engine.dispose()


def _insert(engine: Engine, row_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(text("INSERT INTO t (id, v) VALUES (:i, 'x')"), {"i": row_id})


def _insert_elsewhere(engine: Engine, row_id: int) -> BaseException | None:
    """Insert from another thread; the error it met, if any."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _insert(engine, row_id)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return errors[0] if errors else None


def _rows(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM t ORDER BY id"))]


def test_a_writer_waits_for_the_turn_and_is_busy_with_nothing_written(engine: Engine) -> None:
    with Session(engine) as holder:
        holder.execute(text("INSERT INTO t (id, v) VALUES (1, 'held')"))
        error = _insert_elsewhere(engine, 2)
        # A reader is not in the line.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        holder.commit()
    assert isinstance(error, Busy)
    assert _rows(engine) == [1]


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "failed statement"])
def test_the_turn_ends_with_the_transaction(engine: Engine, ending: str) -> None:
    _insert(engine, 1)
    session = Session(engine)
    if ending == "failed statement":
        with pytest.raises(IntegrityError):
            session.execute(text("INSERT INTO t (id, v) VALUES (1, 'again')"))
        session.rollback()
    else:
        session.execute(text("INSERT INTO t (id, v) VALUES (2, 'x')"))
        if ending == "commit":
            session.commit()
        elif ending == "rollback":
            session.rollback()
    session.close()
    assert _insert_elsewhere(engine, 3) is None
    assert 3 in _rows(engine)


def test_write_lock_takes_the_turn_before_begin_immediate(engine: Engine) -> None:
    with Session(engine) as holder:
        write_lock(holder, "records")
        error = _insert_elsewhere(engine, 2)
        holder.commit()
    assert isinstance(error, Busy)
    assert _insert_elsewhere(engine, 3) is None


def test_engines_from_make_engine_have_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[bool] = []
    take = sqlite_writes.WriteTurns.take
    monkeypatch.setattr(
        sqlite_writes.WriteTurns, "take", lambda self, info: (taken.append(True), take(self, info))
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'made.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    _insert(engine, 1)
    engine.dispose()
    assert taken == [True]
