"""Database engine, sessions and schema migrations (Alembic, shipped inside the package)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from coach.core import sqlite_writes
from coach.core.errors import Busy, InvalidInput, SchemaNotCurrent
from coach.core.settings import (
    DEFAULT_DB_MAX_OVERFLOW,
    DEFAULT_DB_POOL_SIZE,
    DatabaseTimeouts,
    Settings,
)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"

# How long a SQLite writer waits for the write lock before giving up. pysqlite begins the
# transaction at the first INSERT/UPDATE/DELETE (the audit chain takes the lock before reading
# its tip), so the wait happens there, never half-way through; reads before it hold no lock,
# so a route that reads, asks a model, then writes does not block writers during the call.
SQLITE_BUSY_TIMEOUT_S = 30

# How long a request waits for a pooled connection (and the API for a database slot).
POOL_TIMEOUT_S = 30

# PostgreSQL's serialization_failure, deadlock_detected, lock_not_available (lock_timeout),
# query_canceled (statement_timeout) and idle_in_transaction_session_timeout: the transaction
# lost a race or outlived its limit and was rolled back whole.
_PG_CONTENTION = {"40001", "40P01", "55P03", "57014", "25P03"}

# The advisory-lock namespace of `write_lock` (the first of PostgreSQL's two 32-bit keys).
WRITE_LOCKS = 727002

# The PostgreSQL advisory lock every schema upgrade takes first (any constant shared by all
# Coach processes on a database; this one is "coach" in ASCII).
_PG_MIGRATION_LOCK = 0x636F616368


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while an import writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _nul_field(parameters: object, key: object = None) -> str | None:
    """The name (or "text") of the first string parameter holding U+0000, else None."""
    if isinstance(parameters, str):
        if "\x00" not in parameters:
            return None
        return re.sub(r"_\d+$", "", key) if isinstance(key, str) else "text"
    items: Iterable[tuple[object, object]]
    if isinstance(parameters, Mapping):
        items = parameters.items()
    elif isinstance(parameters, list | tuple):
        items = ((key, value) for value in parameters)
    else:
        return None
    for name, value in items:
        if (found := _nul_field(value, name)) is not None:
            return found
    return None


def _refuse_nul_characters(  # type: ignore[no-untyped-def]
    _conn, _cursor, _statement, parameters, _context, _executemany
) -> None:
    # PostgreSQL cannot hold U+0000 in text and fails the whole statement. Refusing it on every
    # database keeps SQLite and PostgreSQL alike: a 422 naming the field instead of a 500.
    field = _nul_field(parameters)
    if field is not None:
        raise InvalidInput(field, "contains a NUL character (\\x00), which cannot be stored")


def _pg_options(timeouts: DatabaseTimeouts) -> str:
    """The `options` of a PostgreSQL connection setting its statement, lock and idle limits."""
    limits = {
        "statement_timeout": timeouts.statement,
        "lock_timeout": timeouts.lock,
        "idle_in_transaction_session_timeout": timeouts.idle_in_transaction,
    }
    return " ".join(f"-c {name}={round(seconds * 1000)}" for name, seconds in limits.items())


def make_engine(
    url: str,
    timeouts: DatabaseTimeouts | None = None,
    *,
    pool_size: int = DEFAULT_DB_POOL_SIZE,
    max_overflow: int = DEFAULT_DB_MAX_OVERFLOW,
) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL; `timeouts` (default: the settings'
    defaults) apply to PostgreSQL, the pool bounds to both."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=POOL_TIMEOUT_S,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
        )  # fmt: skip
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        sqlite_writes.install(engine, SQLITE_BUSY_TIMEOUT_S)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        limits = timeouts or Settings.model_construct().database_timeouts
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
            pool_timeout=POOL_TIMEOUT_S, connect_args={"options": _pg_options(limits)},
        )  # fmt: skip
    event.listen(engine, "before_cursor_execute", _refuse_nul_characters)
    return engine


@lru_cache(maxsize=8)
def _cached_engine(
    url: str, timeouts: DatabaseTimeouts, pool_size: int, max_overflow: int
) -> Engine:
    return make_engine(url, timeouts, pool_size=pool_size, max_overflow=max_overflow)


def engine_for(settings: Settings) -> Engine:
    """The process-wide engine for these settings (created once per URL, limits and pool)."""
    settings.ensure_home()
    return _cached_engine(
        settings.resolved_database_url, settings.database_timeouts, settings.db_pool_size,
        settings.db_max_overflow,
    )  # fmt: skip


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the shipped migrations and this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the database schema in place to the newest revision, one process at a time.

    The upgrade runs in one transaction that first takes the database's migration lock, so of
    several machines upgrading at once one does the work and the others then find it done.
    """
    with engine.connect() as connection:
        _lock_schema(connection)
        config = alembic_config(engine)
        # Alembic joins the transaction the lock opened rather than starting its own.
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def _lock_schema(connection: Connection) -> None:
    """Wait for, then hold until commit, the one lock that serialises schema upgrades."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # SQLite's write lock, taken before Alembic reads the schema version.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def schema_revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """The database's current revisions and the newest ones this code ships."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, heads


def require_current_schema(engine: Engine) -> None:
    """Refuse a database whose schema is not at the newest revision (`coach db upgrade`)."""
    current, heads = schema_revisions(engine)
    if current != heads:
        raise SchemaNotCurrent(
            engine.url.render_as_string(hide_password=True),
            current=sorted(current),
            expected=sorted(heads),
        )


def is_contention(exc: DBAPIError) -> bool:
    """Whether the error means a lock this transaction needed was held too long, or it ran out
    of time: the transaction is gone, and the same work may succeed if tried again."""
    orig = exc.orig
    sqlite_error = str(getattr(orig, "sqlite_errorname", ""))
    if sqlite_error.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    return getattr(orig, "sqlstate", None) in _PG_CONTENTION


RECORDS_LOCK = "records"
"""Taken by imports and by single record writes: they check and write the same tables."""


def write_lock(session: Session, name: str) -> None:
    """Take, until the transaction ends, the write lock called `name`.

    On PostgreSQL it is an advisory lock on the name alone, so writers under other names go
    on in parallel (two names may share a 32-bit hash, which only makes them wait on each
    other). SQLite has one writer at a time: its lock is the database's write lock.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))"),
            {"space": WRITE_LOCKS, "name": name},
        )
    elif dialect == "sqlite":
        # pysqlite opens a transaction lazily, at the first INSERT/UPDATE/DELETE. Until then a
        # read sees whatever is committed, so take the write lock now, before the caller reads
        # what its write relies on.
        sqlite_writes.begin_writing(session.connection())


def busy_from(exc: DBAPIError) -> Busy | None:
    """The `Busy` a lost lock race or an exceeded limit means; None for any other failure."""
    return Busy() if is_contention(exc) else None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error.

    Losing a lock race (SQLite still locked after the busy timeout, a PostgreSQL deadlock or
    serialization failure) or outliving a limit (PostgreSQL's lock, statement and idle
    timeouts) rolls back everything and raises `Busy`: nothing was written.
    """
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            if (busy := busy_from(exc)) is not None:
                raise busy from exc
            raise
        except BaseException:
            session.rollback()
            raise
