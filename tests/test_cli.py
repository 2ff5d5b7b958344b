from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from alembic import command
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from coach.cli import app
from coach.core.db import alembic_config, engine_for, schema_revisions
from coach.core.models import CheckIn, Employee, User
from coach.core.settings import Settings, get_settings
from coach.knowledge import open_knowledge_base
from coach.org.users import authenticate

runner = CliRunner()


def _demo_tokens(output: str) -> dict[str, str]:
    found = re.findall(r"^\s+(admin|hr|manager|employee)\s+(coach_\S+)", output, re.MULTILINE)
    assert len(found) == 4, output
    return dict(found)


def test_demo_seeds_once_and_refuses_to_run_again_without_reset() -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    tokens = _demo_tokens(first.stdout)
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 1 and "--reset" in second.output and "coach_" not in second.output
    engine = engine_for(Settings())
    with Session(engine) as session:
        assert all(authenticate(session, token) for token in tokens.values())
        assert session.exec(select(func.count()).select_from(Employee)).one() == 31
        assert session.exec(select(func.count()).select_from(User)).one() == 4
        checkins = session.exec(select(CheckIn)).all()
    checked = [c.feedback_check for c in checkins if c.feedback_check]
    assert len(checked) > 50
    vague_share = sum(c["vague"] for c in checked) / len(checked)
    assert 0.2 < vague_share < 0.8  # the demo mixes vague and specific feedback


def test_demo_reset_says_the_old_tokens_stop_working() -> None:
    old = _demo_tokens(runner.invoke(app, ["demo"]).stdout)
    reset = runner.invoke(app, ["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "no longer work" in reset.stdout
    new = _demo_tokens(reset.stdout)
    with Session(engine_for(Settings())) as session:
        assert not any(authenticate(session, token) for token in old.values())
        assert all(authenticate(session, token) for token in new.values())
        assert session.exec(select(func.count()).select_from(User)).one() == 4


NEEDS_A_HOME = [
    ["serve"], ["user", "list"], ["user", "add", "x", "--role", "admin"],
    ["user", "disable", "x"], ["user", "enable", "x"], ["user", "rotate-token", "x"],
    ["import", "employees", "people.csv"], ["audit", "verify"],
    ["audit", "export", "--out", "events.jsonl"], ["audit", "dialogues"], ["db", "upgrade"],
    ["knowledge", "ingest", "."], ["employee", "export", "E1"], ["batches", "resume"],
]  # fmt: skip


@pytest.mark.parametrize("args", NEEDS_A_HOME, ids=" ".join)
def test_commands_refuse_a_folder_without_a_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    def serving(*_: object, **__: object) -> None:
        raise AssertionError("coach serve started a server on a folder without a home")

    monkeypatch.setattr("uvicorn.run", serving)
    (tmp_path / "people.csv").write_text("employee_id,name\n")
    home = Settings().home
    # With COACH_DATABASE_URL the data lives elsewhere, so an existing folder is a home.
    states = ("absent",) if Settings().database_url else ("absent", "empty folder")
    for state in states:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (state, result.output)
        assert "no Coach data at" in result.output and "coach init" in result.output
        assert str(home.resolve()) in result.output.replace("\n", "")
        if state == "absent":
            assert not home.exists()  # nothing was created on the way
            home.mkdir(parents=True)


def test_init_creates_an_empty_home_that_commands_then_use() -> None:
    created = runner.invoke(app, ["init"])
    assert created.exit_code == 0 and "created" in created.output
    assert Settings().has_home()
    added = runner.invoke(app, ["user", "add", "root", "--role", "admin"])
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and "up to date" in again.output
    assert "root" in runner.invoke(app, ["user", "list"]).output


def test_audit_verify_with_no_events_says_where_it_looked() -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    where = engine_for(Settings()).url.render_as_string(hide_password=True)
    assert "no audit events to verify" in result.output and where in result.output.replace("\n", "")
    assert "0 events verified" not in result.output


def test_user_add_prints_the_token_last(tmp_path: Path) -> None:
    people = tmp_path / "employees.csv"
    people.write_text(
        "employee_id,name,role,level,department,team,manager_id,hire_date\nE015,刘洋,销售经理,M2,销售部,华南,,2020-02-17\n"
    )
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["import", "employees", str(people)]).exit_code == 0
    result = runner.invoke(
        app, ["user", "add", "王经理", "--role", "manager", "--employee-id", "E015"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("coach_") and len(token) > 40


def test_user_add_refuses_a_manager_without_employee() -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["user", "add", "x", "--role", "manager"])
    assert result.exit_code == 1 and "employee_id" in result.output


def test_import_reports_row_errors(tmp_path: Path) -> None:
    bad = tmp_path / "employees.csv"
    bad.write_text(
        "employee_id,name,role,level,department,team,manager_id,hire_date\nX1,甲,r,P1,d,t,,notadate\n"
    )
    assert runner.invoke(app, ["init"]).exit_code == 0
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


def test_eval_targets_runs_from_the_command_line() -> None:
    # The eval parses its own options: `coach eval targets` must not hand it the CLI's words.
    result = runner.invoke(app, ["eval", "targets", "--variant", "base", "--employees", "40"])
    assert result.exit_code == 0, result.output
    assert "engine vs best baseline" in result.output
    assert "shifted" not in result.output


def test_eval_retrieval_runs_from_the_command_line() -> None:
    result = runner.invoke(app, ["eval", "retrieval", "--libraries", "dev", "--hashing"])
    assert "hybrid" in result.output and "bm25" in result.output, result.output
    assert "shipped library, plain Markdown ingestion" in result.output
    assert "blind" not in result.output
    # The exit status is the eval's verdict on its bars.
    assert result.exit_code == (0 if "FAIL" not in result.output else 1)


def test_eval_verdicts_reports_both_splits_beside_the_baseline() -> None:
    result = runner.invoke(app, ["eval", "verdicts"])
    assert result.exit_code == 0, result.output
    assert "dev split" in result.output and "blind split" in result.output
    assert result.output.count("baseline") == 2


def test_serve_upgrades_and_ingests_once_then_hands_the_workers_a_factory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    settings = Settings()
    command.downgrade(alembic_config(engine_for(settings)), "0008")  # code newer than the data
    started: list[tuple[object, dict[str, object]]] = []

    def run(target: object, **options: object) -> None:
        # What the workers find once they start: the schema current, the library in place.
        current, heads = schema_revisions(engine_for(settings))
        assert current == heads
        kb = open_knowledge_base(chroma_path=settings.chroma_path)
        assert len(kb.list_documents()) > 10
        started.append((target, options))

    monkeypatch.setattr("uvicorn.run", run)
    monkeypatch.setenv("COACH_LLM_CONCURRENCY", "3")
    result = runner.invoke(app, ["serve", "--workers", "4", "--port", "18301"])
    assert result.exit_code == 0, result.output
    assert "4 worker(s) x COACH_LLM_CONCURRENCY=3 = up to 12" in result.output.replace("\n", " ")
    [(target, options)] = started
    assert target == "api.main:create_app"
    assert options | {"workers": 4, "factory": True, "port": 18301} == options
    # A worker reads its settings from the environment it inherits.
    get_settings.cache_clear()
    try:
        worker = importlib.import_module("api.main").create_app()
    finally:
        get_settings.cache_clear()
    assert worker.state.settings.home == settings.home
    assert worker.state.settings.llm_concurrency == 3
