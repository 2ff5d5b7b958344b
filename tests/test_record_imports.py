"""Importing goals, key results, progress, review scores and key events (CSV and Excel)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from coach.core.models import AuditEvent, Goal, KeyResult, ReviewScore
from coach.imports import COLUMNS, ImportKind, template
from tests.factories import auth, upgraded

GOALS = [
    ["G1", "A1", "2026H1", "回款提升", "okr", "active"],
    ["G2", "A2", "2026Q3", "客户满意度", "kpi", ""],
]
KEY_RESULTS = [
    ["K1", "G1", "回款达到100万", "万元", "higher_is_better", "60", "100", "2026-06-30"],
    ["K2", "G2", "投诉下降到4件", "件", "lower_is_better", "10", "4", ""],
]
PROGRESS = [
    ["K1", "2026-03-31", "75", "一季度", "A1"],
    ["K1", "2026-05-31", "88", "", "M1"],
]
REVIEWS = [
    ["2026H1", "A1", "results", "4", "M1", "稳定"],
    ["2026H1", "A1", "results", "3.5", "E1", ""],  # a second reviewer of the same dimension
    ["2026H1", "A2", "behavior", "5", "M1", ""],
]
KEY_EVENTS = [
    ["KE1", "A1", "2026-04-02", "独立完成华润续约", "回款30万元", "positive", "M1"],
    ["KE2", "A2", "2026-05-10", "漏报一次客户投诉", "客户不满", "negative", "M1"],
]
ROWS = {
    ImportKind.goals: GOALS,
    ImportKind.key_results: KEY_RESULTS,
    ImportKind.progress: PROGRESS,
    ImportKind.reviews: REVIEWS,
    ImportKind.key_events: KEY_EVENTS,
}
# Each kind needs the ones before it.
ORDER = list(ROWS)


def _csv(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _header(kind: ImportKind) -> list[str]:
    return [c.name for c in COLUMNS[kind]][: len(ROWS[kind][0])]


def _filled_template(kind: ImportKind, *, xlsx: bool) -> bytes:
    """The template, with the rows appended under its documentation row."""
    if not xlsx:
        return template(kind) + _csv(ROWS[kind])
    workbook = load_workbook(io.BytesIO(template(kind, xlsx=True)))
    sheet = workbook.worksheets[0]
    for row in ROWS[kind]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(
    client: TestClient, token: str, kind: str, data: bytes, name: str = "f.csv"
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/v1/imports/{kind}", headers=auth(token), files={"file": (name, data, "text/csv")}
    )
    return response.status_code, response.json()


def _listed(client: TestClient, token: str, kind: ImportKind) -> set[tuple[str, ...]]:
    """What the read API returns for a kind, as tuples of the rows' identifying columns."""
    get = lambda path: client.get(path, headers=auth(token)).json()["data"]  # noqa: E731
    goals = get("/v1/goals")
    if kind == ImportKind.goals:
        return {(g["goal_id"], g["employee_id"], g["cycle"], g["kind"]) for g in goals}
    results = [kr for g in goals for kr in g["key_results"]]
    if kind == ImportKind.key_results:
        return {(kr["kr_id"], kr["goal_id"], kr["direction"]) for kr in results}
    if kind == ImportKind.progress:
        return {
            (kr["kr_id"], p["date"], f"{p['value']:g}") for kr in results for p in kr["progress"]
        }
    if kind == ImportKind.reviews:
        rows = get("/v1/reviews")
        return {
            (r["cycle"], r["employee_id"], r["dimension"], f"{r['score']:g}", r["reviewer_id"])
            for r in rows
        }
    rows = get("/v1/key-events")
    return {(e["event_id"], e["employee_id"], e["date"], e["kind"]) for e in rows}  # fmt: skip


def _expected(kind: ImportKind) -> set[tuple[str, ...]]:
    picks = {
        ImportKind.goals: (0, 1, 2, 4),
        ImportKind.key_results: (0, 1, 4),
        ImportKind.progress: (0, 1, 2),
        ImportKind.reviews: (0, 1, 2, 3, 4),
        ImportKind.key_events: (0, 1, 2, 5),
    }[kind]
    return {tuple(row[i] for i in picks) for row in ROWS[kind]}


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_each_kind_round_trips_from_its_template(
    client: TestClient, tokens: dict[str, str], xlsx: bool
) -> None:
    admin = tokens["admin"]
    for kind in ORDER:
        data = _filled_template(kind, xlsx=xlsx)
        status, report = _upload(client, admin, kind, data, "t.xlsx" if xlsx else "t.csv")
        rows = len(ROWS[kind])
        assert (status, report["inserted"], report["rows"]) == (200, rows, rows), (kind, report)
        assert _listed(client, tokens["hr"], kind) == _expected(kind), kind
        status, again = _upload(client, admin, kind, data)
        assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, rows), kind


def test_a_changed_row_is_the_only_one_updated(client: TestClient, tokens: dict[str, str]) -> None:
    for kind in ORDER[:2]:
        _upload(client, tokens["admin"], kind, _csv(ROWS[kind], _header(kind)))
    changed = [row[:] for row in KEY_RESULTS]
    changed[1][6] = "3"
    status, report = _upload(
        client, tokens["admin"], "key_results", _csv(changed, _header(ImportKind.key_results))
    )
    assert (status, report["inserted"], report["updated"], report["unchanged"]) == (200, 0, 1, 1)


def test_progress_moves_its_key_result_to_the_latest_reading(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    for kind in ORDER[:3]:
        assert _upload(client, tokens["admin"], kind, _csv(ROWS[kind], _header(kind)))[0] == 200
    with Session(engine) as session:
        k1, k2 = session.get(KeyResult, "K1"), session.get(KeyResult, "K2")
        assert k1 is not None and k1.current == 88  # the reading of 2026-05-31
        assert k2 is not None and k2.current == 10  # no reading yet: its baseline


def test_chinese_headers_import_without_renaming(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    goals = "目标编号,员工编号,周期,标题,类型,状态\nG9,A1,2026,年度目标,kpi,active\n"
    assert _upload(client, tokens["admin"], "goals", goals.encode())[0] == 200
    krs = "关键结果编号,目标编号,标题,单位,方向,基线,目标值,截止日期,指标\nK9,G9,完成,个,higher_is_better,0,5,,\n"
    assert _upload(client, tokens["admin"], "key_results", krs.encode())[0] == 200
    progress = "关键结果编号,日期,数值,备注,记录人\nK9,2026-02-01,2,,A1\n"
    assert _upload(client, tokens["admin"], "progress", progress.encode())[0] == 200
    reviews = "周期,员工编号,维度,分数,评分人,评语\n2026,A1,results,4,M1,好\n"
    assert _upload(client, tokens["admin"], "reviews", reviews.encode())[0] == 200
    events = (
        "事件编号,员工编号,日期,描述,影响,类型,记录人\nKE9,A1,2026-03-01,事情,影响,neutral,M1\n"
    )
    assert _upload(client, tokens["admin"], "key_events", events.encode())[0] == 200
    employees = "员工编号,姓名,岗位,职级,部门,团队,上级编号,入职日期\nN9,新人,销售,P1,销售部,华东,M1,2026-01-05\n"
    assert _upload(client, tokens["admin"], "employees", employees.encode())[0] == 200
    metrics = "指标编号,指标名称,单位,方向,周期类型\nrevenue,回款,万元,higher_is_better,quarter\n"
    assert _upload(client, tokens["admin"], "metrics", metrics.encode())[0] == 200
    history = "员工编号,期间,指标编号,数值\nN9,2026Q1,revenue,12\n"
    assert _upload(client, tokens["admin"], "history", history.encode())[0] == 200
    checkins = "面谈编号,员工编号,上级编号,日期,进展,障碍,所需支持,下一步行动,上级反馈\nC9,N9,M1,2026-02-01,顺利,,,,\n"
    assert _upload(client, tokens["admin"], "checkins", checkins.encode())[0] == 200
    with Session(engine) as session:
        goal = session.get(Goal, "G9")
        assert goal is not None and goal.cycle == "2026" and goal.kind == "kpi"


def test_a_column_given_twice_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    data = "goal_id,目标编号,employee_id,cycle,title,kind,status\nG1,G1,A1,2026H1,t,okr,\n"
    status, body = _upload(client, tokens["admin"], "goals", data.encode())
    assert status == 422
    assert body["errors"] == [
        {"row": 1, "column": "目标编号", "reason": "the same column as 'goal_id' (goal_id)"}
    ]


# Per kind: bad rows, and the (row, column) errors they must give, counting the bad rows from
# row 2 as if they came first.
BAD_FILES: dict[ImportKind, tuple[list[list[str]], set[tuple[int, str]]]] = {
    ImportKind.goals: (
        [
            ["G1", "A1", "2026H3", "t", "okr", ""],
            ["G2", "GHOST", "2026", "t", "okr", ""],
            ["G3", "A1", "2026", "t", "bsc", ""],
            ["G4", "A1", "2026", "", "okr", ""],
            ["G1", "A2", "2026", "t", "okr", ""],
        ],
        {(2, "cycle"), (3, "employee_id"), (4, "kind"), (5, "title"), (6, "goal_id")},
    ),
    ImportKind.key_results: (
        [
            ["K5", "NOGOAL", "t", "", "higher_is_better", "0", "1", ""],
            ["K2", "G1", "t", "", "up", "0", "1", ""],
            ["K3", "G1", "t", "", "higher_is_better", "x", "", "2026-02-30"],
        ],
        {(2, "goal_id"), (3, "direction"), (4, "baseline"), (4, "target"), (4, "due_date")},
    ),
    ImportKind.progress: (
        [
            ["K1", "2026-01-01", "1", "", "A1"],
            ["K1", "2026-01-01", "2", "", "A1"],
            ["NOKR", "2026-01-02", "1", "", ""],
            ["K1", "2026-01-03", "nan", "", ""],
            ["K1", "2026-01-04", "3", "", "GHOST"],
        ],
        {(3, "date"), (4, "kr_id"), (5, "value"), (6, "author_id")},
    ),
    ImportKind.reviews: (
        [
            ["2026H1", "A1", "team", "6", "M1", ""],
            ["2026H1", "A1", "results", "4", "GHOST", ""],
            ["H1", "A1", "results", "3", "M1", ""],
            ["2026H1", "GHOST", "results", "3", "M1", ""],
            ["2026H1", "A2", "results", "4", "M1", ""],
            ["2026H1", "A2", "results", "5", "M1", ""],
        ],
        {(2, "score"), (3, "reviewer_id"), (4, "cycle"), (5, "employee_id"), (7, "reviewer_id")},
    ),
    ImportKind.key_events: (
        [
            ["KE1", "A1", "2026-04-02", "d", "", "good", "M1"],
            ["KE2", "A1", "not a date", "d", "", "positive", "M1"],
            ["KE1", "A2", "2026-04-02", "d", "", "neutral", ""],
            ["KE3", "A1", "2026-04-03", "d", "", "neutral", "GHOST"],
            ["KE4", "A1", "2026-04-03", "", "", "neutral", ""],
        ],
        {(2, "kind"), (3, "date"), (4, "event_id"), (5, "author_id"), (6, "description")},
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES), ids=str)
def test_a_bad_file_is_rejected_whole_naming_rows_and_columns(
    client: TestClient, engine: Engine, tokens: dict[str, str], kind: ImportKind
) -> None:
    # What the bad rows refer to exists, so only the rows themselves are wrong.
    for before in ORDER[: ORDER.index(kind)]:
        assert (
            _upload(client, tokens["admin"], before, _csv(ROWS[before], _header(before)))[0] == 200
        )
    rows, expected = BAD_FILES[kind]
    good = ROWS[kind][:1]
    # A good row first: it must not be written either. Data rows start at row 2.
    data = _csv(good + rows, _header(kind))
    expected = {(row + 1, column) for row, column in expected}
    with Session(engine) as session:
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    status, body = _upload(client, tokens["admin"], kind, data)
    assert status == 422 and "nothing was imported" in body["detail"]
    assert {(e["row"], e["column"]) for e in body["errors"]} == expected
    assert all(e["reason"] for e in body["errors"])
    assert _listed(client, tokens["hr"], kind) == set()  # not even the good row
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events


def test_review_scores_outside_the_company_scale_are_row_errors(
    client: TestClient, tokens: dict[str, str]
) -> None:
    status, body = _upload(
        client, tokens["admin"], "reviews",
        _csv([["2026H1", "A1", "results", "0.5", "M1", ""]], _header(ImportKind.reviews)),
    )  # fmt: skip
    assert status == 422 and body["errors"] == [
        {"row": 2, "column": "score", "reason": "0.5 is outside the review scale 1–5"}
    ]


def test_the_scale_is_a_company_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, database_url: str
) -> None:
    from api.main import create_app
    from coach.core.settings import Settings
    from tests.factories import seed_org

    settings = Settings(
        COACH_HOME=tmp_path / "scaled", COACH_DATABASE_URL=database_url,
        COACH_REVIEW_SCALE_MIN=0, COACH_REVIEW_SCALE_MAX=100,
    )  # fmt: skip
    settings.ensure_home()
    app = create_app(upgraded(settings))
    with Session(app.state.engine) as session:
        tokens = seed_org(session)
        session.commit()
    with TestClient(app) as client:
        rows = [["2026H1", "A1", "results", "87", "M1", ""]]
        status, report = _upload(
            client, tokens["admin"], "reviews", _csv(rows, _header(ImportKind.reviews))
        )
        assert (status, report["inserted"]) == (200, 1)
        rows = [["2026H1", "A1", "results", "101", "M1", ""]]
        status, body = _upload(
            client, tokens["admin"], "reviews", _csv(rows, _header(ImportKind.reviews))
        )
        assert status == 422 and "0–100" in body["errors"][0]["reason"]  # fmt: skip


def test_gbk_csv_with_chinese_headers(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    text = "事件编号,员工编号,日期,描述,影响,类型,记录人\r\nKE5,A1,2026-04-02,主动补位值班,客户满意,positive,M1\r\n"
    assert _upload(client, tokens["admin"], "key_events", text.encode("gbk"))[0] == 200
    events = client.get("/v1/key-events", headers=auth(tokens["hr"])).json()["data"]
    assert [e["description"] for e in events] == ["主动补位值班"]


def test_xlsx_cells_typed_as_numbers_and_dates_read_as_text(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    import datetime as dt

    _upload(client, tokens["admin"], "goals", _csv(GOALS, _header(ImportKind.goals)))
    # Excel keeps a numeric-looking id as a number and a date as a date.
    header = _header(ImportKind.key_results)
    data = _xlsx(
        header, [[1001, "G1", "t", "", "higher_is_better", 0, 12.5, dt.datetime(2026, 6, 30)]]
    )
    status, report = _upload(client, tokens["admin"], "key_results", data, "kr.xlsx")
    assert (status, report["inserted"]) == (200, 1), report
    with Session(engine) as session:
        kr = session.get(KeyResult, "1001")
        assert kr is not None and kr.target == 12.5 and str(kr.due_date) == "2026-06-30"


def test_xlsx_errors_use_the_spreadsheet_row_numbers(
    client: TestClient, tokens: dict[str, str]
) -> None:
    header = _header(ImportKind.reviews)
    data = _xlsx(
        header,
        [["2026H1", "A1", "results", 4, "M1", ""], [], ["2026H1", "A1", "team", "高", "M1", ""]],
    )
    status, body = _upload(client, tokens["admin"], "reviews", data, "r.xlsx")
    assert status == 422 and [(e["row"], e["column"]) for e in body["errors"]] == [(4, "score")]  # fmt: skip


def test_an_unreadable_workbook_is_one_clear_error(
    client: TestClient, tokens: dict[str, str]
) -> None:
    status, body = _upload(
        client, tokens["admin"], "goals", b"PK\x03\x04 not really a zip", "g.xlsx"
    )
    assert status == 422 and body["errors"] == [
        {"row": 0, "column": "", "reason": "file is not a readable .xlsx workbook"}
    ]


def test_an_xlsx_upload_over_the_limit_is_413(
    client: TestClient, settings: Any, tokens: dict[str, str]
) -> None:
    big = _xlsx(["goal_id"], [["x" * 60]]) + b"\0" * settings.max_upload_bytes
    status, _ = _upload(client, tokens["admin"], "goals", big, "g.xlsx")
    assert status == 413


def test_templates_document_every_column(tmp_path: Any) -> None:
    text = template(ImportKind.reviews).decode("utf-8-sig").splitlines()
    assert text[0] == "cycle,employee_id,dimension,score,reviewer_id,comment"
    assert text[1].startswith("# 周期:") and "评分人" in text[1]
    sheet = load_workbook(io.BytesIO(template(ImportKind.goals, xlsx=True))).worksheets[0]
    assert [c.value for c in sheet[1]] == [c.name for c in COLUMNS[ImportKind.goals]]
    assert str(sheet["A2"].value).startswith("# 目标编号") and "okr 或 kpi" in str(
        sheet["E2"].value
    )


def test_an_empty_template_has_no_data_rows(client: TestClient, tokens: dict[str, str]) -> None:
    for xlsx in (False, True):
        status, body = _upload(
            client, tokens["admin"], "goals", template(ImportKind.goals, xlsx=xlsx)
        )
        assert status == 422 and body["errors"][0]["reason"] == "the file has no data rows"


def test_two_reviewers_of_one_dimension_are_two_scores(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    _upload(client, tokens["admin"], "reviews", _csv(REVIEWS, _header(ImportKind.reviews)))
    with Session(engine) as session:
        scores = session.exec(
            select(ReviewScore.reviewer_id).where(ReviewScore.employee_id == "A1")
        ).all()
    assert sorted(s or "" for s in scores) == ["E1", "M1"]


def test_the_cli_writes_a_template_and_imports_it_back_filled(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from coach.cli import app

    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("员工编号,姓名,岗位,职级,部门,团队,上级编号,入职日期\nA1,李强,,,,,,\n")
    assert runner.invoke(app, ["import", "employees", str(people)]).exit_code == 0
    for xlsx in (False, True):
        path = tmp_path / ("goals.xlsx" if xlsx else "goals.csv")
        args = ["import", "template", "goals", "--output", str(path)]
        result = runner.invoke(app, args + (["--xlsx"] if xlsx else []))
        assert result.exit_code == 0 and path.exists(), result.output
        goal_id = "GX" if xlsx else "GC"
        if xlsx:
            workbook = load_workbook(path)
            workbook.worksheets[0].append([goal_id, "A1", "2026H1", "目标", "okr", ""])
            workbook.save(path)
        else:
            path.write_bytes(path.read_bytes() + f"{goal_id},A1,2026H1,目标,okr,\n".encode())
        result = runner.invoke(app, ["import", "goals", str(path)])
        assert result.exit_code == 0, result.output
        assert "goals: 1 rows, 1 inserted, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(app, ["import", "template", "budgets"])
    assert result.exit_code == 2 and "not a kind of import" in result.output


def test_a_reason_is_our_own_words(client: TestClient, tokens: dict[str, str]) -> None:
    rows = [["G1", "A1", "2026H3", "t", "okr", ""]]
    status, body = _upload(client, tokens["admin"], "goals", _csv(rows, _header(ImportKind.goals)))
    assert status == 422 and body["errors"] == [
        {
            "row": 2,
            "column": "cycle",
            "reason": "'2026H3' is not a cycle like 2026, 2026H1 or 2026Q3",
        }
    ]


def test_the_readme_lists_every_kind_with_its_columns_and_headers() -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 导入数据") : readme.index("## 用户与权限")]
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in section.splitlines()
        if line.startswith("| `")
    }
    for kind, columns in COLUMNS.items():
        assert kind.value in rows, kind
        for column in columns:
            assert f"`{column.name}` {'/'.join((column.zh, *column.aliases))}" in rows[kind.value]


def test_blank_cells_of_columns_with_a_default_take_the_default(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    goals = "goal_id,employee_id,cycle,title,kind,status\nG1,A1,2026,t,,\n"
    assert _upload(client, tokens["admin"], "goals", goals.encode())[0] == 200
    krs = "kr_id,goal_id,title,unit,direction,baseline,target,due_date\nK1,G1,t,,,,5,\n"
    assert _upload(client, tokens["admin"], "key_results", krs.encode())[0] == 200
    events = "event_id,employee_id,date,description,impact,kind,author_id\nE1,A1,2026-01-02,d,,,\n"
    assert _upload(client, tokens["admin"], "key_events", events.encode())[0] == 200
    reviews = "cycle,employee_id,dimension,score,reviewer_id,comment\n2026,A1,results,3,,\n"
    assert _upload(client, tokens["admin"], "reviews", reviews.encode())[0] == 200
    assert _upload(client, tokens["admin"], "reviews", reviews.encode())[1]["unchanged"] == 1
    goal = client.get("/v1/goals", headers=auth(tokens["hr"])).json()["data"][0]
    assert (goal["kind"], goal["status"]) == ("okr", "active")
    kr = goal["key_results"][0]
    assert (kr["direction"], kr["baseline"]) == ("higher_is_better", 0)
    event = client.get("/v1/key-events", headers=auth(tokens["hr"])).json()["data"][0]
    assert event["kind"] == "neutral" and event["author_id"] is None


def test_dates_as_excel_writes_them_into_csv_are_read(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    from coach.core.models import Employee

    people = "员工编号,姓名,岗位,职级,部门,团队,上级编号,入职日期\nN1,新人,,,,,M1,2024/3/1\n"
    assert _upload(client, tokens["admin"], "employees", people.encode("gbk"))[0] == 200
    events = "事件编号,员工编号,日期,描述,影响,类型,记录人\nE1,N1,2026.4.2,d,,positive,M1\n"
    assert _upload(client, tokens["admin"], "key_events", events.encode())[0] == 200
    with Session(engine) as session:
        employee = session.get(Employee, "N1")
        assert employee is not None and str(employee.hire_date) == "2024-03-01"
    event = client.get("/v1/key-events", headers=auth(tokens["hr"])).json()["data"][0]
    assert event["date"] == "2026-04-02"
    bad = "事件编号,员工编号,日期,描述,影响,类型,记录人\nE2,N1,2026/13/2,d,,positive,M1\n"
    status, body = _upload(client, tokens["admin"], "key_events", bad.encode())
    assert status == 422 and [(e["row"], e["column"]) for e in body["errors"]] == [(2, "日期")]


def test_a_workbook_that_expands_too_far_is_refused(
    client: TestClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach import imports

    data = _xlsx(_header(ImportKind.goals), [GOALS[0]])
    monkeypatch.setattr(imports, "MAX_UNZIPPED_BYTES", 1000)
    status, body = _upload(client, tokens["admin"], "goals", data, "g.xlsx")
    assert status == 422 and "expands to" in body["errors"][0]["reason"]
