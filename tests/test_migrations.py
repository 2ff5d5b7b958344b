from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from coach.core.db import alembic_config, make_engine, migrate


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
