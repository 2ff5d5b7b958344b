"""Migrations and database guards on PostgreSQL (the suite's PostgreSQL pass only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel

from coach.core.db import alembic_config, make_engine, migrate
from tests import pg
from tests.test_migrations import (
    assert_first_decision_stands,
    assert_legacy_events_verify_and_extend,
    seed_double_decisions,
    seed_legacy_events,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not pg.TEST_DATABASE_URL, reason="needs COACH_TEST_DATABASE_URL"),
]


@pytest.fixture
def empty_engine() -> Iterator[Engine]:
    """An engine on a new, empty PostgreSQL database (not the migrated template)."""
    databases = pg.Databases(pg.TEST_DATABASE_URL)
    name = databases.create()
    engine = make_engine(databases.url_for(name))
    yield engine
    engine.dispose()
    databases.drop(name)
    databases.close()


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


def test_a_fresh_database_migrates_to_the_models_and_reruns_safely(empty_engine: Engine) -> None:
    migrate(empty_engine)
    migrate(empty_engine)  # upgrading an up-to-date database changes nothing
    assert _schema_diff(empty_engine) == []
    assert "alembic_version" in inspect(empty_engine).get_table_names()


def test_an_existing_database_upgrades_in_place(empty_engine: Engine) -> None:
    command.upgrade(alembic_config(empty_engine), "0002")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (name, role, token_hash, created_at, disabled) "
            "VALUES ('hr', 'hr', 'h', now(), false)"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO drafts (id, kind, employee_id, template_id, template_hash, provider, "
            "model, status, created_at) VALUES ('d1', 'feedback', 'E1', '', '', '', '', "
            "'approved', now())"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO approval_records (draft_id, reviewer_id, reviewer_name, decision, "
            "reason, created_at) VALUES ('d1', 1, 'hr', 'approve', '', now())"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO audit_events (ts, actor, action, object_type, object_id, prev_hash, hash) "
            "VALUES (now(), 'hr', 'approve', 'draft', 'd1', 'p', 'h')"
        ))  # fmt: skip

    migrate(empty_engine)

    assert _schema_diff(empty_engine) == []
    with empty_engine.connect() as connection:
        record = connection.execute(
            text("SELECT diff, edit_ratio FROM approval_records WHERE draft_id = 'd1'")
        ).one()
        assert (record.diff, record.edit_ratio) == ("", 0)
    # The audit rows written before 0003 are now append-only too.
    with pytest.raises(DatabaseError, match="append-only"), empty_engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'x'"))
    with pytest.raises(DatabaseError, match="append-only"), empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events"))


def test_0005_keeps_the_first_of_two_decisions_and_refuses_a_second(empty_engine: Engine) -> None:
    seed_double_decisions(empty_engine)
    migrate(empty_engine)
    assert_first_decision_stands(empty_engine)
    assert _schema_diff(empty_engine) == []


def test_0010_keeps_the_legacy_chain_verifying(empty_engine: Engine) -> None:
    seed_legacy_events(empty_engine)
    migrate(empty_engine)
    assert _schema_diff(empty_engine) == []
    assert_legacy_events_verify_and_extend(empty_engine)
    with pytest.raises(DatabaseError, match="append-only"), empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_seals"))
    with pytest.raises(RuntimeError, match="per-object chains"):
        command.downgrade(alembic_config(empty_engine), "0008")
