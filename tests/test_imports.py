from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.routes import imports as imports_route
from coach.core.models import CheckIn, Employee, MetricValue
from coach.core.settings import Settings
from tests.factories import auth

EMPLOYEES = """employee_id,name,role,level,department,team,manager_id,hire_date
N1,新经理,销售经理,M1,销售部,华北,M1,2024-03-01
N2,新人甲,销售代表,P1,销售部,华北,N1,2026-09-01
"""
METRICS = """metric,name,unit,direction,period_type
revenue,销售回款,万元,higher_is_better,quarter
csat,满意度,分,higher_is_better,month
"""
HISTORY = """employee_id,period,metric,value
A1,2026Q1,revenue,80
A1,2026Q2,revenue,90.5
A1,2026-05,csat,4.6
"""
CHECKINS = """checkin_id,employee_id,manager_id,date,progress,obstacles,support_needed,next_actions,manager_feedback
C1,A1,M1,2026-10-20,完成70%,客户预算冻结,需要法务支持,下周回访,表现良好
C2,A1,M1,2026-11-18,完成85%,,,,"11月3日独立完成华润续约谈判,回款30万元。下次报价前先和售前对齐交付周期。"
"""


def _upload(client: TestClient, token: str, kind: str, text: str | bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    data = text.encode() if isinstance(text, str) else text
    response = client.post(
        f"/v1/imports/{kind}",
        headers=auth(token),
        files={"file": (f"{kind}.csv", data, "text/csv")},
    )
    return response.status_code, response.json()


def test_import_all_kinds_and_reimport_upserts(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    admin = tokens["admin"]
    assert _upload(client, admin, "employees", EMPLOYEES) == (
        200,
        {"kind": "employees", "rows": 2, "inserted": 2, "updated": 0, "unchanged": 0},
    )
    assert _upload(client, admin, "metrics", METRICS)[1]["inserted"] == 2
    assert _upload(client, admin, "history", HISTORY)[1]["inserted"] == 3
    assert _upload(client, admin, "checkins", CHECKINS)[1]["inserted"] == 2
    status, report = _upload(client, admin, "history", HISTORY.replace("90.5", "91"))
    assert status == 200 and (report["inserted"], report["updated"], report["unchanged"]) == (
        0,
        1,
        2,
    )
    # Re-importing the same file writes nothing: every row equals its stored record.
    again = _upload(client, admin, "employees", EMPLOYEES)[1]
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MetricValue)).one() == 3
        value = session.exec(select(MetricValue).where(MetricValue.period == "2026Q2")).one().value
        assert value == 91
        assert session.exec(select(func.count()).select_from(Employee)).one() == 8


def test_checkin_feedback_is_checked_on_import(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    _upload(client, tokens["admin"], "checkins", CHECKINS)
    with Session(engine) as session:
        vague = session.get(CheckIn, "C1")
        specific = session.get(CheckIn, "C2")
        assert vague is not None and specific is not None
        assert vague.feedback_check is not None and vague.feedback_check["vague"] is True
        assert specific.feedback_check is not None and specific.feedback_check["vague"] is False


def test_bad_rows_reject_the_whole_file(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    bad = (
        EMPLOYEES
        + "N3,,销售代表,P1,销售部,华北,N1,2026-13-01\nN4,某人,销售代表,P1,销售部,华北,GHOST,2026-01-01\nN1,重复,x,P1,d,t,,\n"
    )
    status, body = _upload(client, tokens["admin"], "employees", bad)
    assert status == 422 and "nothing was imported" in body["detail"]
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert {(4, "name"), (4, "hire_date"), (5, "manager_id"), (6, "employee_id")} <= found
    with Session(engine) as session:
        assert session.get(Employee, "N1") is None  # the good rows were not written either


def test_missing_columns_are_named(client: TestClient, tokens: dict[str, str]) -> None:
    status, body = _upload(
        client, tokens["admin"], "history", "employee_id,period,value\nA1,2026Q1,3\n"
    )
    assert status == 422 and body["errors"] == [
        {"row": 1, "column": "metric", "reason": "required column is missing"}
    ]


def test_history_checks_references_and_period_format(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _upload(client, tokens["admin"], "metrics", METRICS)
    rows = "employee_id,period,metric,value\nA1,2026-03,revenue,1\nZZ,2026Q1,revenue,1\nA1,2026Q1,nope,1\nA1,2026Q1,revenue,abc\n"
    status, body = _upload(client, tokens["admin"], "history", rows)
    assert status == 422
    by_row = {e["row"]: e for e in body["errors"]}
    assert by_row[2]["column"] == "period" and "2025Q3" in by_row[2]["reason"]
    assert by_row[3]["column"] == "employee_id" and by_row[4]["column"] == "metric"
    assert by_row[5]["column"] == "value"


def test_bom_and_gbk_files_are_read(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    assert (
        _upload(client, tokens["admin"], "employees", b"\xef\xbb\xbf" + EMPLOYEES.encode())[0]
        == 200
    )
    gbk = EMPLOYEES.replace("N1", "G1").replace("N2", "G2").encode("gbk")
    assert _upload(client, tokens["admin"], "employees", gbk)[0] == 200
    with Session(engine) as session:
        employee = session.get(Employee, "G1")
        assert employee is not None and employee.name == "新经理"


def test_unknown_kind_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    assert _upload(client, tokens["admin"], "salaries", "a,b\n1,2\n")[0] == 422


def test_empty_file_is_rejected(client: TestClient, tokens: dict[str, str]) -> None:
    status, body = _upload(
        client, tokens["admin"], "metrics", "metric,name,unit,direction,period_type\n"
    )
    assert status == 422 and body["errors"][0]["reason"] == "the file has no data rows"


def test_undecodable_file_is_rejected_naming_the_problem(
    client: TestClient, tokens: dict[str, str]
) -> None:
    status, body = _upload(client, tokens["admin"], "employees", b"\xff\xfe\x00\x81\x00\xff" * 10)
    assert status == 422 and "neither UTF-8 nor GBK" in body["errors"][0]["reason"]


def test_extra_columns_are_ignored(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    text = EMPLOYEES.replace("hire_date\n", "hire_date,salary\n").replace(
        "2024-03-01\n", "2024-03-01,30000\n"
    )
    assert _upload(client, tokens["admin"], "employees", text)[0] == 200
    with Session(engine) as session:
        assert session.get(Employee, "N1") is not None


def test_duplicate_rows_in_one_file_are_reported(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _upload(client, tokens["admin"], "metrics", METRICS)
    status, body = _upload(client, tokens["admin"], "history", HISTORY + "A1,2026Q1,revenue,81\n")
    assert (
        status == 422
        and {"row": 5, "column": "period", "reason": "duplicate of row 2"} in body["errors"]
    )


def test_oversized_upload_is_refused_while_streaming(
    settings: Settings, tokens: dict[str, str], app: FastAPI
) -> None:
    limit = settings.max_upload_bytes

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    with TestClient(app) as client:
        response = client.post(
            "/v1/imports/employees", headers={**auth(tokens["admin"]), "content-type": "multipart/form-data; boundary=b"},
            content=chunks(),
        )  # fmt: skip
    assert response.status_code == 413 and str(limit) in response.json()["detail"]


HEADER = "employee_id,name,role,level,department,team,manager_id,hire_date\n"


def _people(*pairs: tuple[str, str]) -> str:
    return HEADER + "".join(f"{e},某人,销售代表,P1,销售部,华北,{m},2026-01-01\n" for e, m in pairs)


def _stored(engine: Engine, *ids: str) -> dict[str, str | None]:
    with Session(engine) as session:
        return {e: person.manager_id for e in ids if (person := session.get(Employee, e))}


def test_managers_managing_each_other_reject_the_file(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    status, body = _upload(
        client, tokens["admin"], "employees", _people(("X01", "X02"), ("X02", "X01"))
    )
    assert status == 422 and "nothing was imported" in body["detail"]
    loop = "X01 (row 2) → X02 (row 3) → X01 (row 2)"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (2, "manager_id"),
        (3, "manager_id"),
    ]
    assert all(loop in e["reason"] for e in body["errors"])
    assert _stored(engine, "X01", "X02") == {}


def test_a_longer_loop_names_every_row_and_spares_the_rest(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    text = _people(("X04", "X01"), ("X01", "X02"), ("X02", "X03"), ("X03", "X01"), ("X05", ""))
    status, body = _upload(client, tokens["admin"], "employees", text)
    assert status == 422
    assert {e["row"] for e in body["errors"]} == {3, 4, 5}  # not X04, which only hangs below
    assert "X01 (row 3) → X02 (row 4) → X03 (row 5) → X01 (row 3)" in body["errors"][0]["reason"]
    assert _stored(engine, "X01", "X04", "X05") == {}


def test_managing_oneself_is_one_clear_error(client: TestClient, tokens: dict[str, str]) -> None:
    status, body = _upload(client, tokens["admin"], "employees", _people(("X01", "X01")))
    assert status == 422
    assert body["errors"] == [
        {"row": 2, "column": "manager_id", "reason": "an employee cannot manage themselves"}
    ]


def test_a_file_closing_a_loop_through_stored_people_is_rejected(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    # Stored: A1 → M1 → E1 (top). The file puts E1 under A1.
    status, body = _upload(client, tokens["admin"], "employees", _people(("E1", "A1")))
    assert status == 422
    (error,) = body["errors"]
    assert error["row"] == 2 and error["column"] == "manager_id"
    assert "E1 (row 2) → A1 (already stored) → M1 (already stored) → E1 (row 2)" in error["reason"]
    assert _stored(engine, "E1") == {"E1": None}


def test_moving_people_around_without_a_loop_imports(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    # M1 moves under M2 and its report A1 goes straight to E1: a new tree, still a tree.
    status, _ = _upload(client, tokens["admin"], "employees", _people(("M1", "M2"), ("A1", "E1")))
    assert status == 200
    assert _stored(engine, "M1", "A1") == {"M1": "M2", "A1": "E1"}


def test_an_import_runs_off_the_event_loop(
    client: TestClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[bool] = []
    real = imports_route.import_records

    def watched(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)  # a worker thread: other requests are still served
        return real(*args, **kwargs)

    monkeypatch.setattr(imports_route, "import_records", watched)
    status, body = _upload(client, tokens["admin"], "employees", EMPLOYEES)
    assert status == 200, body
    assert on_loop == [False]


def test_rows_are_held_to_the_column_sizes_of_their_table(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # A value the table cannot hold is a row error on every database, not a failed write.
    long_role = EMPLOYEES.replace("销售代表", "代" * 201)
    status, body = _upload(client, tokens["admin"], "employees", long_role)
    assert status == 422 and body["errors"] == [
        {"row": 3, "column": "role", "reason": "String should have at most 200 characters"}
    ]
    long_manager = CHECKINS.replace("C1,A1,M1", "C1,A1," + "M" * 65)
    status, body = _upload(client, tokens["admin"], "checkins", long_manager)
    assert status == 422 and body["errors"] == [
        {"row": 2, "column": "manager_id", "reason": "String should have at most 64 characters"}
    ]
