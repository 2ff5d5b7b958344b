"""Import of a company's records from CSV or Excel (.xlsx) files, one kind per file.

An import is all or nothing: every row is validated first, and any error stops the whole
file with a report naming the row (as the spreadsheet numbers it: the header is row 1), the
column and the reason. Rows are upserted on their kind's natural key; a row equal to the stored
record is counted as unchanged and not written, so re-importing a file reports 0 inserted and
0 updated. Each kind's columns, with their Chinese headers and what they hold, are declared once
in `COLUMNS`; `template` writes an empty file from them that the import accepts back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from sqlalchemy import insert, update
from sqlmodel import Session, SQLModel, col, select
from sqlmodel._compat import SQLModelConfig

from coach.checkins import annotate_feedback
from coach.core.audit import record_event
from coach.core.cycles import CYCLE_EXAMPLES, is_cycle
from coach.core.db import RECORDS_LOCK, write_lock
from coach.core.errors import CoachError
from coach.core.models import (
    CheckIn,
    CheckInBase,
    Direction,
    Employee,
    EmployeeAttributes,
    EmployeeBase,
    Goal,
    KeyEvent,
    KeyResult,
    Metric,
    MetricValue,
    PeriodType,
    PotentialRating,
    ProgressUpdate,
    ReviewScore,
    utcnow,
)
from coach.core.units import UnitKind, unit_kind_for
from coach.records import (
    RECORD_ID,
    GoalCreate,
    KeyEventCreate,
    KeyResultCreate,
    ProgressCreate,
    ReviewCreate,
    ScoreScale,
    blank_to_none,
    refresh_current,
    score_problem,
    spreadsheet_date,
)
from coach.targets.errors import InvalidPeriod, known_list
from coach.targets.periods import parse_period

DEFAULT_SCALE: ScoreScale = (1.0, 5.0)


class ImportKind(StrEnum):
    employees = "employees"
    metrics = "metrics"
    history = "history"
    checkins = "checkins"
    goals = "goals"
    key_results = "key_results"
    progress = "progress"
    reviews = "reviews"
    key_events = "key_events"
    attributes = "attributes"
    potential = "potential"


@dataclass(frozen=True)
class Column:
    """One column of an import file: its name, its Chinese header, what it holds."""

    name: str
    zh: str
    note: str
    aliases: tuple[str, ...] = ()
    required: bool = True


_ID_NOTE = "必填;字母、数字、_ . -"
_DATE_NOTE = "日期,如 2026-10-20 或 2026/10/20"
_UNIT_KIND_NOTE = (
    "可空;count(计数,目标取整)、amount(金额或数量)、ratio(0–1 的比例)、percent(百分比)"
    "或 unspecified(按数值判断);空着时按单位推断"
)
_DIRECTION_NOTE = "higher_is_better(越高越好)或 lower_is_better(越低越好)"
_CYCLE_NOTE = f"如 {CYCLE_EXAMPLES.replace(' or ', '、').replace(', ', '、')}"

# The one table of every kind's columns. Headers are matched exactly (after trimming): the
# name, the Chinese header, or one of the aliases HR systems commonly export.
COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.employees: (
        Column("employee_id", "员工编号", _ID_NOTE, ("工号", "员工工号")),
        Column("name", "姓名", "必填", ("员工姓名",)),
        Column("role", "岗位", "可空", ("职位", "岗位名称")),
        Column("level", "职级", "可空"),
        Column("department", "部门", "可空", ("所属部门",)),
        Column("team", "团队", "可空", ("小组",)),
        Column("manager_id", "上级编号", "可空;直属上级的员工编号", ("直属上级编号", "上级工号")),
        Column("hire_date", "入职日期", "可空;" + _DATE_NOTE),
    ),
    ImportKind.metrics: (
        Column("metric", "指标编号", _ID_NOTE, ("指标代码",)),
        Column("name", "指标名称", "必填", ("名称",)),
        Column("unit", "单位", "可空"),
        Column("direction", "方向", _DIRECTION_NOTE),
        Column("period_type", "周期类型", "annual(年度)、quarter(季度)或 month(月度)"),
        Column("unit_kind", "单位类型", _UNIT_KIND_NOTE, ("数值类型",), required=False),
    ),
    ImportKind.history: (
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("period", "期间", "年份 2026、季度 2026Q1 或月份 2026-05,按指标的周期类型", ("统计期间",)),
        Column("metric", "指标编号", _ID_NOTE, ("指标", "指标代码")),
        Column("value", "数值", "必填;数字", ("值", "实际值")),
    ),
    ImportKind.checkins: (
        Column("checkin_id", "面谈编号", _ID_NOTE, ("沟通编号",)),
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("manager_id", "上级编号", "可空;面谈的上级", ("经理编号", "上级工号")),
        Column("date", "日期", "必填;" + _DATE_NOTE, ("面谈日期",)),
        Column("progress", "进展", "可空"),
        Column("obstacles", "障碍", "可空", ("困难",)),
        Column("support_needed", "所需支持", "可空", ("需要的支持",)),
        Column("next_actions", "下一步行动", "可空", ("下一步",)),
        Column("manager_feedback", "上级反馈", "可空", ("经理反馈",)),
        Column("employee_comment", "员工意见", "可空", ("员工评论",), required=False),
    ),
    ImportKind.goals: (
        Column("goal_id", "目标编号", _ID_NOTE),
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("cycle", "周期", "必填;" + _CYCLE_NOTE, ("考核周期",)),
        Column("title", "标题", "必填", ("目标名称", "目标")),
        Column("kind", "类型", "okr 或 kpi,默认 okr", ("目标类型",)),
        Column("status", "状态", "可空,默认 active", ("目标状态",)),
    ),
    ImportKind.key_results: (
        Column("kr_id", "关键结果编号", _ID_NOTE, ("KR编号",)),
        Column("goal_id", "目标编号", _ID_NOTE),
        Column("title", "标题", "必填", ("关键结果", "关键结果名称")),
        Column("unit", "单位", "可空"),
        Column("direction", "方向", _DIRECTION_NOTE),
        Column("baseline", "基线", "数字,默认 0", ("基线值",)),
        Column("target", "目标值", "必填;数字"),
        Column("due_date", "截止日期", "可空;" + _DATE_NOTE),
        Column("metric", "指标编号", "可空;关联的指标", ("指标",), required=False),
    ),
    ImportKind.progress: (
        Column("kr_id", "关键结果编号", _ID_NOTE, ("KR编号",)),
        Column("date", "日期", "必填;" + _DATE_NOTE + ";每个关键结果每天一条", ("更新日期",)),
        Column("value", "数值", "必填;数字", ("当前值", "进展值")),
        Column("note", "备注", "可空", ("说明",)),
        Column("author_id", "记录人", "可空;记录人的员工编号", ("记录人编号",)),
    ),
    ImportKind.reviews: (
        Column("cycle", "周期", "必填;" + _CYCLE_NOTE, ("考核周期",)),
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("dimension", "维度", "必填;如 results、behavior", ("考核维度",)),
        Column("score", "分数", "必填;公司评分量表之内(COACH_REVIEW_SCALE_MIN–MAX)", ("评分", "得分")),
        Column("reviewer_id", "评分人", "可空;评分人的员工编号", ("评分人编号",)),
        Column("comment", "评语", "可空", ("评价",)),
    ),
    ImportKind.key_events: (
        Column("event_id", "事件编号", _ID_NOTE),
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("date", "日期", "必填;" + _DATE_NOTE, ("事件日期",)),
        Column("description", "描述", "必填", ("事件描述",)),
        Column("impact", "影响", "可空"),
        Column("kind", "类型", "positive(正面)、negative(负面)或 neutral(中性),默认 neutral", ("事件类型",)),
        Column("author_id", "记录人", "可空;记录人的员工编号", ("记录人编号",)),
    ),
    # HR-only: read by fairness monitoring, never shown to managers or employees nor prompted.
    ImportKind.attributes: (
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("gender", "性别", "可空;男、女或其他(也可 male、female、other)", required=False),
        Column("age_band", "年龄段", "可空;年龄区间如 25-34 或 55+,不填具体年龄", ("年龄区间",), required=False),
    ),
    ImportKind.potential: (
        Column("cycle", "周期", "必填;" + _CYCLE_NOTE, ("考核周期",)),
        Column("employee_id", "员工编号", _ID_NOTE, ("工号",)),
        Column("potential", "潜力", "必填;1(低)、2(中)、3(高),也可填 低、中、高", ("潜力评级",)),
    ),
}  # fmt: skip

ATTRIBUTES = ("gender", "age_band")

REQUIRED_COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    kind: tuple(c.name for c in columns if c.required) for kind, columns in COLUMNS.items()
}


def header_names(kind: ImportKind) -> dict[str, str]:
    """Every header this kind accepts, mapped to its column's name."""
    names: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for header in (column.name, column.zh, *column.aliases):
            names[header] = column.name
    return names


class RowError(BaseModel):
    """One problem in an uploaded file; row 1 is the header, as a spreadsheet numbers it."""

    row: int
    column: str
    reason: str


class ImportFailed(CoachError):
    """The file was rejected whole; nothing was written."""

    def __init__(self, kind: str, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the {kind} file; nothing was imported")
        self.kind = kind
        self.errors = errors


class ImportReport(BaseModel):
    kind: ImportKind
    rows: int
    inserted: int
    updated: int = Field(description="Rows whose stored record changed.")
    unchanged: int = Field(default=0, description="Rows equal to the stored record: not written.")


# --- row schemas ------------------------------------------------------------------------


_ROW_CONFIG = SQLModelConfig(str_strip_whitespace=True, extra="ignore")


class _Row(BaseModel):
    model_config = _ROW_CONFIG


# The employee and check-in rows are their table's fields, read with the import's rules:
# ids are plain tokens, a name is not blank, an empty optional cell means none. The five
# record kinds are read with the API's own shapes (coach.records).


class EmployeeRow(EmployeeBase):
    model_config = _ROW_CONFIG

    employee_id: str = RECORD_ID
    name: str = Field(min_length=1, max_length=200)

    _blanks = field_validator("manager_id", mode="before")(blank_to_none)
    _hired = field_validator("hire_date", mode="before")(spreadsheet_date)


class MetricRow(_Row):
    metric: str = RECORD_ID
    name: str = Field(min_length=1, max_length=200)
    unit: str = ""
    direction: Direction
    period_type: PeriodType
    unit_kind: UnitKind | None = None

    _blank_kind = field_validator("unit_kind", mode="before")(blank_to_none)

    @model_validator(mode="after")
    def _kind_from_unit(self) -> MetricRow:
        if self.unit_kind is None:
            self.unit_kind = unit_kind_for(self.unit)
        return self


class HistoryRow(_Row):
    employee_id: str = RECORD_ID
    period: str = Field(min_length=1)
    metric: str = RECORD_ID
    value: float = Field(allow_inf_nan=False)


class CheckInRow(CheckInBase):
    model_config = _ROW_CONFIG

    checkin_id: str = RECORD_ID
    employee_id: str = RECORD_ID

    _blanks = field_validator("manager_id", mode="before")(blank_to_none)
    _date = field_validator("date", mode="before")(spreadsheet_date)


_GENDERS = {
    "男": "男", "male": "男", "m": "男", "女": "女", "female": "女", "f": "女",
    "其他": "其他", "other": "其他",
}  # fmt: skip
_AGE_BAND = re.compile(r"^(\d{1,2})\s*[-–~至]\s*(\d{1,2})\s*岁?$|^(\d{1,2})\s*(?:\+|岁以上)$")


def _gender(value: Any) -> Any:
    if blank_to_none(value) is None:
        return None
    known = _GENDERS.get(str(value).strip().lower())
    if known is None:
        raise ValueError(f"{value!r} is not a gender this file takes: 男, 女 or 其他")
    return known


def _age_band(value: Any) -> Any:
    if blank_to_none(value) is None:
        return None
    text = str(value).strip()
    match = _AGE_BAND.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not an age band like 25-34 or 55+ (an exact age is not taken)"
        )
    low, high, open_from = match.groups()
    if open_from is not None:
        return f"{int(open_from)}+"
    if int(low) >= int(high):
        raise ValueError(f"{text!r}: the band's lower bound must be below its upper bound")
    return f"{int(low)}-{int(high)}"


class AttributesRow(_Row):
    employee_id: str = RECORD_ID
    gender: str | None = None
    age_band: str | None = None

    _gender = field_validator("gender", mode="before")(_gender)
    _age_band = field_validator("age_band", mode="before")(_age_band)


_POTENTIAL_WORDS = {"低": 1, "中": 2, "高": 3}


def _potential(value: Any) -> Any:
    text = str(value).strip()
    if text in _POTENTIAL_WORDS:
        return _POTENTIAL_WORDS[text]
    if text not in ("1", "2", "3"):
        raise ValueError(f"{text!r} is not a potential rating: 1 (低), 2 (中) or 3 (高)")
    return int(text)


class PotentialRow(_Row):
    cycle: str = Field(min_length=1, max_length=10)
    employee_id: str = RECORD_ID
    potential: int

    _potential = field_validator("potential", mode="before")(_potential)

    @field_validator("cycle")
    @classmethod
    def _known_cycle(cls, value: str) -> str:
        if not is_cycle(value):
            raise ValueError(f"{value!r} is not a cycle like {CYCLE_EXAMPLES}")
        return value


ROW_SCHEMAS: dict[ImportKind, type[BaseModel]] = {
    ImportKind.employees: EmployeeRow,
    ImportKind.metrics: MetricRow,
    ImportKind.history: HistoryRow,
    ImportKind.checkins: CheckInRow,
    ImportKind.goals: GoalCreate,
    ImportKind.key_results: KeyResultCreate,
    ImportKind.progress: ProgressCreate,
    ImportKind.reviews: ReviewCreate,
    ImportKind.key_events: KeyEventCreate,
    ImportKind.attributes: AttributesRow,
    ImportKind.potential: PotentialRow,
}


# --- reading ----------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without BOM), else GB18030 as Excel in China saves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            "csv", [RowError(row=0, column="", reason="file is neither UTF-8 nor GBK text")]
        ) from exc


def is_xlsx(data: bytes) -> bool:
    """Whether the bytes are an Excel workbook (a zip archive) rather than CSV text."""
    return data[:2] == b"PK"


@dataclass
class _Table:
    """A file's cells: the header, then each row with its spreadsheet row number."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def _csv_table(text: str) -> _Table:
    lines = list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    if not lines:
        return _Table([], [])
    return _Table(lines[0][1], lines[1:])


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold: ids typed as numbers lose no digits."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# A workbook is compressed XML: bound what it may expand to, so a small upload cannot fill memory.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024


def _unreadable(reason: str) -> ImportFailed:
    return ImportFailed("xlsx", [RowError(row=0, column="", reason=reason)])


def _xlsx_table(data: bytes) -> _Table:
    from openpyxl import load_workbook  # imported here: only Excel uploads need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
        if unzipped > MAX_UNZIPPED_BYTES:
            raise _unreadable(
                f"the workbook expands to {unzipped} bytes, more than {MAX_UNZIPPED_BYTES}; "
                "split it into several files"
            )
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _unreadable("file is not a readable .xlsx workbook") from exc
    try:
        sheet = workbook.worksheets[0]  # the first sheet holds the rows; others are notes
        rows = [
            (n, [_cell_text(v) for v in values])
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    if not rows:
        return _Table([], [])
    return _Table(rows[0][1], rows[1:])


def read_table(data: bytes) -> _Table:
    """The cells of an uploaded file, CSV or Excel, told apart by content."""
    return _xlsx_table(data) if is_xlsx(data) else _csv_table(decode_csv(data))


@dataclass
class _Parsed:
    rows: list[tuple[int, BaseModel]]
    errors: list[RowError]
    # The header each column had in the file, so errors name the column as the file does.
    shown: dict[str, str]


def _is_note(cells: list[str]) -> bool:
    """A documentation row, like the one a template carries under its header."""
    first = next((c.strip() for c in cells if c.strip()), "")
    return first.startswith("#")


def _columns(kind: ImportKind, header: list[str]) -> tuple[dict[int, str], list[RowError]]:
    """Which column each header cell is, and what is wrong with the header."""
    names = header_names(kind)
    at: dict[int, str] = {}
    first_seen: dict[str, str] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        text = cell.strip()
        if not text:
            continue
        name = names.get(text, text)
        if name in first_seen:
            errors.append(
                RowError(
                    row=1, column=text, reason=f"the same column as {first_seen[name]!r} ({name})"
                )
            )
            continue
        first_seen[name] = text
        at[index] = name
    present = set(at.values())
    errors += [
        RowError(row=1, column=c, reason="required column is missing")
        for c in REQUIRED_COLUMNS[kind]
        if c not in present
    ]
    return at, errors


def _parse(kind: ImportKind, table: _Table) -> _Parsed:
    at, header_errors = _columns(kind, table.header)
    shown = {name: table.header[i].strip() for i, name in at.items()}
    if header_errors:
        return _Parsed([], header_errors, shown)
    schema = ROW_SCHEMAS[kind]
    parsed = _Parsed([], [], shown)
    width = len(table.header)
    for row_no, cells in table.rows:
        if all(not c.strip() for c in cells) or _is_note(cells):
            continue
        if any(c.strip() for c in cells[width:]):
            parsed.errors.append(RowError(row=row_no, column="", reason="more values than columns"))
            continue
        raw = {name: cells[i] if i < len(cells) else "" for i, name in at.items()}
        try:
            parsed.rows.append((row_no, schema.model_validate(raw)))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else ""
                parsed.errors.append(RowError(row=row_no, column=column, reason=_reason(err)))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(row=1, column="", reason="the file has no data rows"))
    return parsed


def _reason(error: Any) -> str:
    """A validation error's message, without pydantic's "Value error, " before our own words."""
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _duplicates(
    rows: Iterable[tuple[int, BaseModel]], key: Callable[[Any], tuple[Any, ...]], column: str
) -> list[RowError]:
    seen: dict[tuple[Any, ...], int] = {}
    errors = []
    for line_no, row in rows:
        k = key(row)
        if k in seen:
            errors.append(
                RowError(row=line_no, column=column, reason=f"duplicate of row {seen[k]}")
            )
        else:
            seen[k] = line_no
    return errors


def _unknown(
    rows: Iterable[tuple[int, BaseModel]], column: str, known: set[str], what: str
) -> list[RowError]:
    """An error on each row whose `column` names a record that does not exist."""
    errors = []
    for line_no, row in rows:
        value = getattr(row, column)
        if value is not None and value not in known:
            errors.append(RowError(row=line_no, column=column, reason=f"unknown {what} {value!r}"))
    return errors


# --- per-kind checks and writes ---------------------------------------------------------


def _check_employees(session: Session, rows: list[tuple[int, EmployeeRow]]) -> list[RowError]:
    errors = _duplicates(rows, lambda r: (r.employee_id,), "employee_id")
    in_file = {r.employee_id for _, r in rows}
    known = in_file | set(session.exec(select(Employee.employee_id)).all())
    for line_no, r in rows:
        if r.manager_id and r.manager_id not in known:
            errors.append(
                RowError(
                    row=line_no, column="manager_id", reason=f"unknown employee {r.manager_id!r}"
                )
            )
        if r.manager_id == r.employee_id:
            errors.append(
                RowError(
                    row=line_no, column="manager_id", reason="an employee cannot manage themselves"
                )
            )
    return errors + _manager_cycles(session, rows)


def _manager_cycles(session: Session, rows: list[tuple[int, EmployeeRow]]) -> list[RowError]:
    """An error on each row whose manager chain, with the file applied, comes back around.

    The chain is followed through the database as well, so a file that points an existing
    manager at someone below them is caught too. A loop the file takes no part in was already
    stored and is not this file's fault.
    """
    manager_of: dict[str, str | None] = dict(
        session.exec(select(Employee.employee_id, Employee.manager_id)).all()
    )
    row_of: dict[str, int] = {}
    for line_no, r in rows:
        manager_of[r.employee_id] = r.manager_id
        row_of.setdefault(r.employee_id, line_no)
    errors: list[RowError] = []
    walked: set[str] = set()
    for _, r in rows:
        path: list[str] = []
        node: str | None = r.employee_id
        while node is not None and node not in walked:
            walked.add(node)
            path.append(node)
            node = manager_of.get(node)
        if node is None or node not in path:
            continue  # reached the top, or a chain already checked
        loop = path[path.index(node) :]
        if len(loop) > 1 and any(e in row_of for e in loop):  # self-management: reported above
            errors += _loop_errors(loop, row_of)
    return errors


def _loop_errors(loop: list[str], row_of: dict[str, int]) -> list[RowError]:
    def where(employee_id: str) -> str:
        row = row_of.get(employee_id)
        return f"{employee_id} (row {row})" if row else f"{employee_id} (already stored)"

    chain = " → ".join(where(e) for e in [*loop, loop[0]])
    reason = f"managers form a loop: {chain} (each arrow points at the manager)"
    return [
        RowError(row=row_of[e], column="manager_id", reason=reason) for e in loop if e in row_of
    ]


def _employee_ids(session: Session) -> set[str]:
    return set(session.exec(select(Employee.employee_id)).all())


def _check_history(session: Session, rows: list[tuple[int, HistoryRow]]) -> list[RowError]:
    errors = _duplicates(rows, lambda r: (r.employee_id, r.metric, r.period), "period")
    errors += _unknown(rows, "employee_id", _employee_ids(session), "employee")
    metrics = {m.metric: m for m in session.exec(select(Metric)).all()}
    for line_no, r in rows:
        metric = metrics.get(r.metric)
        if metric is None:
            errors.append(
                RowError(row=line_no, column="metric", reason=f"unknown metric {r.metric!r}")
            )
            continue
        try:
            parse_period(r.period, metric.period_type)  # type: ignore[arg-type]
        except InvalidPeriod as exc:
            errors.append(RowError(row=line_no, column="period", reason=str(exc)))
    return errors


def _check_checkins(session: Session, rows: list[tuple[int, CheckInRow]]) -> list[RowError]:
    employees = _employee_ids(session)
    return (
        _duplicates(rows, lambda r: (r.checkin_id,), "checkin_id")
        + _unknown(rows, "employee_id", employees, "employee")
        + _unknown(rows, "manager_id", employees, "employee")
    )


def _check_metrics(_session: Session, rows: list[tuple[int, MetricRow]]) -> list[RowError]:
    return _duplicates(rows, lambda r: (r.metric,), "metric")


def _check_goals(session: Session, rows: list[tuple[int, GoalCreate]]) -> list[RowError]:
    return _duplicates(rows, lambda r: (r.goal_id,), "goal_id") + _unknown(
        rows, "employee_id", _employee_ids(session), "employee"
    )


def _check_key_results(session: Session, rows: list[tuple[int, KeyResultCreate]]) -> list[RowError]:
    goals = set(session.exec(select(Goal.goal_id)).all())
    metrics = set(session.exec(select(Metric.metric)).all())
    errors = _duplicates(rows, lambda r: (r.kr_id,), "kr_id") + _unknown(
        rows, "goal_id", goals, "goal"
    )
    for line_no, r in rows:
        if r.metric is not None and r.metric not in metrics:
            reason = "; ".join(
                filter(None, [f"unknown metric {r.metric!r}", known_list("metrics", metrics)])
            )
            errors.append(RowError(row=line_no, column="metric", reason=reason))
    return errors


def _check_progress(session: Session, rows: list[tuple[int, ProgressCreate]]) -> list[RowError]:
    key_results = set(session.exec(select(KeyResult.kr_id)).all())
    return (
        _duplicates(rows, lambda r: (r.kr_id, r.date), "date")
        + _unknown(rows, "kr_id", key_results, "key result")
        + _unknown(rows, "author_id", _employee_ids(session), "employee")
    )


def _check_reviews(
    session: Session, rows: list[tuple[int, ReviewCreate]], scale: ScoreScale
) -> list[RowError]:
    employees = _employee_ids(session)
    errors = (
        _duplicates(rows, lambda r: (r.cycle, r.employee_id, r.dimension, r.reviewer_id), "reviewer_id")
        + _unknown(rows, "employee_id", employees, "employee")
        + _unknown(rows, "reviewer_id", employees, "employee")
    )  # fmt: skip
    for line_no, r in rows:
        problem = score_problem(r.score, scale)
        if problem:
            errors.append(RowError(row=line_no, column="score", reason=problem))
    return errors


def _check_key_events(session: Session, rows: list[tuple[int, KeyEventCreate]]) -> list[RowError]:
    employees = _employee_ids(session)
    return (
        _duplicates(rows, lambda r: (r.event_id,), "event_id")
        + _unknown(rows, "employee_id", employees, "employee")
        + _unknown(rows, "author_id", employees, "employee")
    )


def _check_attributes(session: Session, rows: list[tuple[int, AttributesRow]]) -> list[RowError]:
    errors = _duplicates(rows, lambda r: (r.employee_id,), "employee_id")
    errors += _unknown(rows, "employee_id", _employee_ids(session), "employee")
    if rows and not set(ATTRIBUTES) & rows[0][1].model_fields_set:
        errors.append(RowError(row=1, column="", reason="the file has neither 性别 nor 年龄段"))
    return errors


def _check_potential(session: Session, rows: list[tuple[int, PotentialRow]]) -> list[RowError]:
    return _duplicates(rows, lambda r: (r.cycle, r.employee_id), "employee_id") + _unknown(
        rows, "employee_id", _employee_ids(session), "employee"
    )


Counts = tuple[int, int, int]


def _upsert(
    session: Session,
    model: type[SQLModel],
    key: tuple[str, ...],
    records: list[dict[str, Any]],
    *,
    pk: str | None = None,
    stamp: str | None = None,
    on_insert: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Counts:
    """Insert new records and update changed ones by natural `key`: (inserted, updated, unchanged).

    `pk` is the primary key when it is not the natural key; `stamp` a time column set on every
    written row; `on_insert` adds what only a new row needs.
    """
    first = getattr(model, key[0])
    stored: dict[tuple[Any, ...], Any] = {}
    values = sorted({r[key[0]] for r in records})
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        for found in session.exec(select(model).where(col(first).in_(chunk))).all():
            stored[tuple(getattr(found, k) for k in key)] = found
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for record in records:
        row = stored.get(tuple(record[k] for k in key))
        if row is None:
            new.append(on_insert(record) if on_insert else record)
        elif any(getattr(row, field) != value for field, value in record.items()):
            changed.append({**record, pk: getattr(row, pk)} if pk else record)
        else:
            unchanged += 1
    if stamp:
        now = utcnow()
        for record in (*new, *changed):
            record[stamp] = now
    if new:
        session.execute(insert(model), new)
    if changed:
        session.execute(update(model), changed)
    return len(new), len(changed), unchanged


def _dumps(rows: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in rows]


def _write_checkins(session: Session, rows: list[CheckInRow]) -> Counts:
    inserted = updated = unchanged = 0
    for r in rows:
        values = r.model_dump(exclude={"checkin_id"})
        checkin = session.get(CheckIn, r.checkin_id)
        if checkin is None:
            checkin = CheckIn(**r.model_dump())
            inserted += 1
        elif all(getattr(checkin, field) == value for field, value in values.items()):
            unchanged += 1
            continue
        else:
            for field, value in values.items():
                setattr(checkin, field, value)
            checkin.updated_at = utcnow()
            updated += 1
        annotate_feedback(checkin)
        session.add(checkin)
    return inserted, updated, unchanged


def _write_progress(session: Session, rows: list[ProgressCreate]) -> Counts:
    counts = _upsert(session, ProgressUpdate, ("kr_id", "date"), _dumps(rows), pk="id")
    refresh_current(session, sorted({r.kr_id for r in rows}))
    return counts


def _write_attributes(session: Session, rows: list[AttributesRow]) -> Counts:
    # Only the columns the file has: a file of genders leaves the stored age bands alone.
    given = {"employee_id", *(set(ATTRIBUTES) & rows[0].model_fields_set)}
    records = [r.model_dump(include=given) for r in rows]
    return _upsert(session, EmployeeAttributes, ("employee_id",), records, stamp="updated_at")


_REVIEW_KEY = ("cycle", "employee_id", "dimension", "reviewer_id")

_WRITES: dict[ImportKind, Callable[[Session, list[Any]], Counts]] = {
    ImportKind.employees: lambda s, rows: _upsert(
        s, Employee, ("employee_id",), _dumps(rows), stamp="updated_at"
    ),
    ImportKind.metrics: lambda s, rows: _upsert(s, Metric, ("metric",), _dumps(rows)),
    ImportKind.history: lambda s, rows: _upsert(
        s, MetricValue, ("employee_id", "metric", "period"), _dumps(rows), pk="id"
    ),
    ImportKind.checkins: _write_checkins,
    ImportKind.goals: lambda s, rows: _upsert(s, Goal, ("goal_id",), _dumps(rows)),
    # A new key result starts at its baseline; progress readings move it on.
    ImportKind.key_results: lambda s, rows: _upsert(
        s, KeyResult, ("kr_id",), _dumps(rows), on_insert=lambda r: {**r, "current": r["baseline"]}
    ),
    ImportKind.progress: _write_progress,
    ImportKind.reviews: lambda s, rows: _upsert(s, ReviewScore, _REVIEW_KEY, _dumps(rows), pk="id"),
    ImportKind.key_events: lambda s, rows: _upsert(s, KeyEvent, ("event_id",), _dumps(rows)),
    ImportKind.attributes: _write_attributes,
    ImportKind.potential: lambda s, rows: _upsert(
        s, PotentialRating, ("employee_id", "cycle"), _dumps(rows)
    ),
}


def _checks(scale: ScoreScale) -> dict[ImportKind, Callable[[Session, Any], list[RowError]]]:
    return {
        ImportKind.employees: _check_employees,
        ImportKind.metrics: _check_metrics,
        ImportKind.history: _check_history,
        ImportKind.checkins: _check_checkins,
        ImportKind.goals: _check_goals,
        ImportKind.key_results: _check_key_results,
        ImportKind.progress: _check_progress,
        ImportKind.reviews: partial(_check_reviews, scale=scale),
        ImportKind.key_events: _check_key_events,
        ImportKind.attributes: _check_attributes,
        ImportKind.potential: _check_potential,
    }


def _rejected(kind: ImportKind, errors: list[RowError], shown: dict[str, str]) -> ImportFailed:
    """The failure, each error naming its column by the header the file used."""
    named = [e.model_copy(update={"column": shown.get(e.column, e.column)}) for e in errors]
    return ImportFailed(kind.value, sorted(named, key=lambda e: (e.row, e.column)))


def import_file(
    session: Session,
    kind: ImportKind,
    data: bytes,
    *,
    actor: str,
    review_scale: ScoreScale = DEFAULT_SCALE,
) -> ImportReport:
    """Validate and write one CSV or .xlsx file inside the caller's transaction, or raise ImportFailed."""
    parsed = _parse(kind, read_table(data))
    if parsed.errors and not parsed.rows:
        raise _rejected(kind, parsed.errors, parsed.shown)
    # The checks below read what the writes rely on (which keys exist): taking the imports'
    # lock first keeps two imports from racing between check and write. Parsing is done
    # before it, so the transaction lasts only as long as the writes.
    write_lock(session, RECORDS_LOCK)
    # Report every problem at once: unparseable rows and the cross-row checks of the rest.
    errors = parsed.errors + _checks(review_scale)[kind](session, parsed.rows)
    if errors:
        raise _rejected(kind, errors, parsed.shown)
    plain = [r for _, r in parsed.rows]
    inserted, updated, unchanged = _WRITES[kind](session, plain)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="import",
        object_type=kind.value,
        object_id=f"{len(plain)} rows",
        after={
            "rows": len(plain),
            "inserted": inserted,
            "updated": updated,
            "unchanged": unchanged,
        },
    )
    return ImportReport(
        kind=kind, rows=len(plain), inserted=inserted, updated=updated, unchanged=unchanged
    )


# --- templates --------------------------------------------------------------------------


def template(kind: ImportKind, *, xlsx: bool = False) -> bytes:
    """An empty file of this kind: the header, then a `#` row giving each column's Chinese
    header and what it holds (the import skips rows starting with `#`)."""
    columns = COLUMNS[kind]
    header = [c.name for c in columns]
    notes = [f"{c.zh}:{c.note}" for c in columns]
    notes[0] = f"# {notes[0]}"
    if xlsx:
        return _xlsx_template(kind, header, notes)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([header, notes])
    # With a BOM, Excel opens the Chinese notes as UTF-8 instead of the system code page.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_template(kind: ImportKind, header: list[str], notes: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = kind.value
    sheet.append(header)
    sheet.append(notes)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = max(14, len(str(column[0].value)) + 4)
    sheet.freeze_panes = "A3"
    guide = workbook.create_sheet("说明")
    guide.append(["列名", "中文表头", "必需列", "说明", "也可用的表头"])
    for c in COLUMNS[kind]:
        guide.append([c.name, c.zh, "是" if c.required else "否", c.note, "、".join(c.aliases)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
