"""CSV exports open in HR's spreadsheet: no cell may start a formula."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from coach.cli import app as cli
from coach.core.csv_export import safe_cell, write_csv
from coach.core.models import Employee
from coach.demo import seed_demo
from coach.oversight.dialogue import dialogue_audit, to_csv
from tests.web.conftest import demo_app, signed_in

FORMULAS = ['=HYPERLINK("http://x")', "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_starts_a_formula_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["陈静", "a=b", "", " =1", 0, -0.5, -3, 1.25, None])
def test_other_cells_are_left_alone(value: object) -> None:
    # Numeric cells cannot hold a formula, so a negative share stays a number.
    assert safe_cell(value) == value


def test_write_csv_quotes_every_column_and_keeps_numbers() -> None:
    text = write_csv(("name", "share"), [{"name": "@SUM(1)", "share": -0.25}])
    assert list(csv.DictReader(text.splitlines())) == [{"name": "'@SUM(1)", "share": "-0.25"}]


def _rename_managers(engine: Engine, names: list[str]) -> list[str]:
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
        ids = [m.manager_id for m in dialogue_audit(session, month="2026-11").managers]
        for manager_id, name in zip(ids, names, strict=False):
            person = session.get(Employee, manager_id)
            assert person is not None
            person.name = name
            session.add(person)
        session.commit()
    return ids[: len(names)]


def _names_in(text: str) -> dict[str, str]:
    # The manager rows come first, then a blank line and the sample; reading a file in text
    # mode has turned its \r\n line ends into \n.
    managers = re.split(r"\r?\n\r?\n", text)[0]
    return {r["经理编号"]: r["经理"] for r in csv.DictReader(managers.splitlines())}


def test_dialogue_csv_neutralises_manager_names(engine: Engine, tmp_path: Path) -> None:
    names = ['=HYPERLINK("http://x")', "@SUM(1)"]
    ids = _rename_managers(engine, names)
    with Session(engine) as session:
        in_memory = _names_in(to_csv(dialogue_audit(session, month="2026-11")))
    out = tmp_path / "dialogues.csv"
    result = CliRunner().invoke(
        cli, ["audit", "dialogues", "--month", "2026-11", "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    from_cli = _names_in(out.read_text(encoding="utf-8-sig"))
    for exported in (in_memory, from_cli):
        assert [exported[i] for i in ids] == ["'" + n for n in names]


def test_web_download_neutralises_manager_names(tmp_path: Path) -> None:
    app, tokens = demo_app(tmp_path / "web")
    with Session(app.state.engine) as session:
        manager_id = dialogue_audit(session, month="latest").managers[0].manager_id
        person = session.get(Employee, manager_id)
        assert person is not None
        person.name = "-1+cmd|' /C calc'!A0"
        session.add(person)
        session.commit()
    response = signed_in(app, tokens.hr).client.get("/hr/dialogues.csv")
    assert response.status_code == 200
    assert _names_in(response.text.lstrip("\ufeff"))[manager_id] == "'-1+cmd|' /C calc'!A0"
