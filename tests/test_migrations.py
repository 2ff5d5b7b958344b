from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlmodel import Session, SQLModel

from api.main import create_app
from coach.core.audit import GENESIS_HASH, record_event, seal_chain, verify_chain
from coach.core.db import alembic_config, engine_for, make_engine, migrate, schema_revisions
from coach.core.errors import SchemaNotCurrent
from coach.core.hashing import content_hash
from coach.core.models import AuditEvent, MetricValue
from coach.core.settings import Settings
from tests import pg
from tests.server import ROOT


def test_migrations_match_the_models_and_rerun_safely(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)  # upgrading an up-to-date database changes nothing
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert "alembic_version" in inspect(engine).get_table_names()


def seed_double_decisions(engine: Engine) -> None:
    """At revision 0004: drafts decided twice, as races before 0005 could leave them."""
    command.upgrade(alembic_config(engine), "0004")
    rows = [
        ("d-approve-reject", "rejected", ["approve", "reject"]),
        ("d-reject-approve", "approved", ["reject", "edit"]),
        ("d-approve-approve", "approved", ["approve", "approve"]),
        ("d-once", "approved", ["edit"]),
    ]
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, name, role, token_hash, created_at, disabled) "
            "VALUES (1, 'm', 'manager', 'h', '2026-11-01 09:00:00', false)"
        ))  # fmt: skip
        for draft_id, status, decisions in rows:
            connection.execute(text(
                "INSERT INTO drafts (id, kind, employee_id, template_id, template_hash, provider, "
                "model, status, created_at, decided_at) VALUES (:id, 'feedback', 'E1', '', '', "
                "'', '', :status, '2026-11-01 09:00:00', '2026-11-01 10:59:00')"
            ), {"id": draft_id, "status": status})  # fmt: skip
            for minute, decision in enumerate(decisions):
                at = f"2026-11-01 10:0{minute}:00"
                connection.execute(text(
                    "INSERT INTO approval_records (draft_id, reviewer_id, reviewer_name, decision, "
                    "reason, created_at, diff, edit_ratio) VALUES (:id, 1, 'm', :decision, '', "
                    ":at, '', 0)"
                ), {"id": draft_id, "decision": decision, "at": at})  # fmt: skip


def assert_first_decision_stands(engine: Engine) -> None:
    """After 0005: one decision per draft, the first, and the draft's status agrees with it."""
    with engine.connect() as connection:
        kept = connection.execute(text(
            "SELECT d.id, d.status, r.decision, r.created_at = d.decided_at FROM drafts d "
            "JOIN approval_records r ON r.draft_id = d.id ORDER BY d.id"
        )).all()  # fmt: skip
    assert [tuple(row) for row in kept] == [
        ("d-approve-approve", "approved", "approve", False),
        ("d-approve-reject", "approved", "approve", True),
        ("d-once", "approved", "edit", False),
        ("d-reject-approve", "rejected", "reject", True),
    ]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO approval_records (draft_id, reviewer_id, reviewer_name, decision, "
            "reason, created_at, diff, edit_ratio) VALUES ('d-once', 1, 'm', 'approve', '', "
            "'2026-11-02 10:00:00', '', 0)"
        ))  # fmt: skip


def test_0005_keeps_the_first_of_two_decisions_and_refuses_a_second(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    seed_double_decisions(engine)
    migrate(engine)
    assert_first_decision_stands(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_0008_gives_existing_call_records_no_draft_and_downgrades(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0007")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO llm_calls (ts, provider, model, template_id, template_hash, purpose, "
            "latency_ms, outcome) VALUES ('2026-11-01 09:00:00', 'openai', 'm', 't.j2', 'h', "
            "'coaching.feedback', 1.5, 'ok')"
        ))  # fmt: skip
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT purpose, draft_id FROM llm_calls")).all()
    assert [tuple(r) for r in rows] == [("coaching.feedback", None)]
    assert "ix_llm_calls_draft_id" in {i["name"] for i in inspect(engine).get_indexes("llm_calls")}
    command.downgrade(config, "0007")
    assert "draft_id" not in {c["name"] for c in inspect(engine).get_columns("llm_calls")}


def test_the_app_refuses_a_database_below_the_newest_schema_and_names_the_command(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'm.db'}")
    engine = engine_for(settings)
    with pytest.raises(SchemaNotCurrent, match=r"revision none.*run `coach db upgrade`"):
        create_app(settings)
    assert "alembic_version" not in inspect(engine).get_table_names()  # checked, not changed
    command.upgrade(alembic_config(engine), "0008")
    (head,) = schema_revisions(engine)[1]
    with pytest.raises(SchemaNotCurrent, match=rf"at schema revision 0008, .* needs {head}"):
        create_app(settings)
    migrate(engine)
    assert create_app(settings).state.engine is engine


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet: a new SQLite file, or a new PostgreSQL database."""
    if not pg.TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    databases = pg.Databases(pg.TEST_DATABASE_URL)
    name = databases.create()
    yield databases.url_for(name)
    databases.drop(name)
    databases.close()


UPGRADE = (
    "from coach.core.db import make_engine, migrate; import sys; migrate(make_engine(sys.argv[1]))"
)


def test_upgrades_started_together_on_several_machines_leave_one_current_schema(
    empty_database_url: str,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", UPGRADE, empty_database_url]
    upgrades = [
        subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [upgrade.communicate(timeout=120)[1] for upgrade in upgrades]
    assert [upgrade.returncode for upgrade in upgrades] == [0, 0, 0], errors
    engine = make_engine(empty_database_url)
    try:
        current, heads = schema_revisions(engine)
        assert current == heads
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


LEGACY_EVENTS = 5


def seed_legacy_events(engine: Engine) -> None:
    """At revision 0008: events in the one global chain of before 0010."""
    command.upgrade(alembic_config(engine), "0008")
    columns = AuditEvent.__table__.c  # type: ignore[attr-defined]
    names = ("ts", "actor", "action", "object_type", "object_id", "detail", "prev_hash",
             "hash")  # fmt: skip
    legacy = sa.table("audit_events", *(sa.column(n, columns[n].type) for n in names))
    prev = GENESIS_HASH
    with engine.begin() as connection:
        for i in range(LEGACY_EVENTS):
            row = {
                "ts": datetime(2026, 11, 1, 9, i, tzinfo=UTC), "actor": "hr:审计员",
                "action": "update", "object_type": "goal", "object_id": f"G{i % 2}",
                "detail": {"i": i}, "prev_hash": prev,
            }  # fmt: skip
            # The hash as revision 0003 wrote it: before and after empty.
            content = {k: row[k] for k in ("ts", "actor", "action", "object_type", "object_id")}
            row["hash"] = prev = content_hash(
                {**content, "ts": row["ts"].isoformat(), "prev": row["prev_hash"],
                 "before": None, "after": None, "detail": row["detail"]}
            )  # fmt: skip
            connection.execute(legacy.insert().values(**row))


def assert_legacy_events_verify_and_extend(engine: Engine) -> None:
    """After 0010: the old events verify as one chain, new ones join, tampering still shows."""
    with Session(engine) as session:
        report = verify_chain(session)
        assert report.ok and report.events == LEGACY_EVENTS, report.problems
        event = record_event(
            session, actor="hr:审计员", action="update", object_type="goal", object_id="G0"
        )
        # A new chain per object; its first event names the legacy chain's tip as its witness.
        assert (event.chain, event.seq, event.prev_hash) == ("goal:G0", 1, GENESIS_HASH)
        assert event.witness_id == LEGACY_EVENTS
        session.commit()
    seal = seal_chain(engine)
    assert seal is not None and seal.chains == 2  # the legacy chain and goal:G0
    with Session(engine) as session:
        assert verify_chain(session).ok
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
        connection.execute(text("DELETE FROM audit_events WHERE id = 3"))
    with Session(engine) as session:
        problems = [(p.event_id, p.kind) for p in verify_chain(session).problems]
    assert problems == [(4, "removed")]


def test_0010_keeps_the_legacy_chain_verifying_and_refuses_edits_of_seals(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    seed_legacy_events(engine)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert_legacy_events_verify_and_extend(engine)
    for statement in ("UPDATE audit_seals SET through_id = 0", "DELETE FROM audit_seals"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


def test_0010_downgrades_while_every_event_is_a_legacy_one(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    config = alembic_config(engine)
    seed_legacy_events(engine)
    migrate(engine)
    command.downgrade(config, "0008")
    assert "chain" not in {c["name"] for c in inspect(engine).get_columns("audit_events")}
    migrate(engine)
    with Session(engine) as session:
        record_event(session, actor="a", action="create", object_type="x", object_id="1")
        session.commit()
    with pytest.raises(RuntimeError, match="per-object chains"):
        command.downgrade(config, "0008")


def test_0012_keys_reviews_by_reviewer_and_progress_by_day(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0008")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO employees (employee_id, name, role, level, department, team, updated_at) "
            "VALUES ('A1', 'a', '', '', '', '', '2026-11-01 09:00:00')",
            "INSERT INTO goals (goal_id, employee_id, cycle, title, kind, status, created_at) "
            "VALUES ('G1', 'A1', '2026H1', 't', 'okr', 'active', '2026-11-01 09:00:00')",
            "INSERT INTO key_results (kr_id, goal_id, title, unit, direction, baseline, target, "
            "current) VALUES ('K1', 'G1', 't', '', 'higher_is_better', 0, 10, 0)",
            "INSERT INTO progress_updates (kr_id, date, value, note) VALUES "
            "('K1', '2026-03-01', 1, 'first'), ('K1', '2026-03-01', 2, 'last'), "
            "('K1', '2026-04-01', 3, 'other day')",
            "INSERT INTO review_scores (employee_id, cycle, dimension, score, reviewer_id, comment) "
            "VALUES ('A1', '2026H1', 'results', 4, 'M1', '')",
        ):
            connection.execute(text(statement))
    migrate(engine)
    with engine.begin() as connection:
        notes = connection.execute(text("SELECT note FROM progress_updates ORDER BY date")).all()
        assert [n for (n,) in notes] == ["last", "other day"]
        connection.execute(text(
            "INSERT INTO review_scores (employee_id, cycle, dimension, score, reviewer_id, comment) "
            "VALUES ('A1', '2026H1', 'results', 3, 'E1', '')"
        ))  # fmt: skip
    for duplicate in (
        "INSERT INTO review_scores (employee_id, cycle, dimension, score, reviewer_id, comment) "
        "VALUES ('A1', '2026H1', 'results', 5, 'M1', '')",
        "INSERT INTO progress_updates (kr_id, date, value, note) VALUES ('K1', '2026-04-01', 9, '')",
    ):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(duplicate))
    command.downgrade(config, "0008")
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT reviewer_id FROM review_scores")).all()
    assert [r for (r,) in kept] == ["M1"]


def test_0016_guesses_unit_kinds_and_stamps_only_new_writes_of_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0012")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO employees (employee_id, name, role, level, department, team, updated_at) "
            "VALUES ('A1', 'a', '', '', '', '', '2026-11-01 09:00:00')",
            "INSERT INTO metrics (metric, name, unit, direction, period_type) "
            "VALUES ('sales', 's', '万元', 'higher_is_better', 'quarter')",
            "INSERT INTO metrics (metric, name, unit, direction, period_type) "
            "VALUES ('clients', 'c', ' 家 ', 'higher_is_better', 'quarter')",
            "INSERT INTO metric_values (employee_id, metric, period, value) "
            "VALUES ('A1', 'sales', '2026Q1', 1)",
        ):
            connection.execute(text(statement))
    migrate(engine)
    with engine.connect() as connection:
        kinds = dict(connection.execute(text("SELECT metric, unit_kind FROM metrics")).all())
    assert kinds == {"sales": "unspecified", "clients": "count"}
    with Session(engine) as session:
        row = session.exec(sa.select(MetricValue)).scalar_one()
        assert row.updated_at is None
        row.value = 2
        session.add(row)
        session.commit()
        session.refresh(row)
        assert row.updated_at is not None
    command.downgrade(config, "0012")
    assert "updated_at" not in {c["name"] for c in inspect(engine).get_columns("metric_values")}
