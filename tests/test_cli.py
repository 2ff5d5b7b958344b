from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, func, select
from typer.testing import CliRunner

from coach.cli import app
from coach.db import engine_for
from coach.models import CheckIn, Employee, User
from coach.settings import Settings

runner = CliRunner()


def test_demo_is_idempotent_and_prints_tokens() -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "coach_" in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    engine = engine_for(Settings())
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Employee)).one() == 31
        assert session.exec(select(func.count()).select_from(User)).one() == 4
        checkins = session.exec(select(CheckIn)).all()
    checked = [c.feedback_check for c in checkins if c.feedback_check]
    assert len(checked) > 50
    vague_share = sum(c["vague"] for c in checked) / len(checked)
    assert 0.2 < vague_share < 0.8  # the demo mixes vague and specific feedback


def test_user_add_prints_the_token_last(tmp_path: Path) -> None:
    people = tmp_path / "employees.csv"
    people.write_text(
        "employee_id,name,role,level,department,team,manager_id,hire_date\nE015,刘洋,销售经理,M2,销售部,华南,,2020-02-17\n"
    )
    assert runner.invoke(app, ["import", "employees", str(people)]).exit_code == 0
    result = runner.invoke(
        app, ["user", "add", "王经理", "--role", "manager", "--employee-id", "E015"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("coach_") and len(token) > 40


def test_user_add_refuses_a_manager_without_employee() -> None:
    result = runner.invoke(app, ["user", "add", "x", "--role", "manager"])
    assert result.exit_code == 1 and "employee_id" in result.output


def test_import_reports_row_errors(tmp_path: Path) -> None:
    bad = tmp_path / "employees.csv"
    bad.write_text(
        "employee_id,name,role,level,department,team,manager_id,hire_date\nX1,甲,r,P1,d,t,,notadate\n"
    )
    result = runner.invoke(app, ["import", "employees", str(bad)])
    assert result.exit_code == 1 and "row 2, column hire_date" in result.output


def test_openai_without_key_is_refused(monkeypatch: object) -> None:
    import os

    os.environ["COACH_LLM_PROVIDER"] = "openai"
    try:
        result = runner.invoke(app, ["db", "upgrade"])
    finally:
        del os.environ["COACH_LLM_PROVIDER"]
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output
