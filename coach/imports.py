"""CSV import of organisation data, metric history and check-ins.

An import is all or nothing: every row is validated first, and any error stops the whole
file with a report naming the row, the column and the reason. Re-importing a file updates
rows in place by their natural key instead of duplicating them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select
from sqlmodel._compat import SQLModelConfig

from coach.checkins import annotate_feedback
from coach.core.audit import record_event
from coach.core.db import write_lock
from coach.core.errors import CoachError
from coach.core.models import (
    CheckIn,
    CheckInBase,
    Direction,
    Employee,
    EmployeeBase,
    Metric,
    MetricValue,
    PeriodType,
    utcnow,
)
from coach.targets.errors import InvalidPeriod
from coach.targets.periods import parse_period


class ImportKind(StrEnum):
    employees = "employees"
    metrics = "metrics"
    history = "history"
    checkins = "checkins"


REQUIRED_COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.employees: (
        "employee_id", "name", "role", "level", "department", "team", "manager_id", "hire_date",
    ),
    ImportKind.metrics: ("metric", "name", "unit", "direction", "period_type"),
    ImportKind.history: ("employee_id", "period", "metric", "value"),
    ImportKind.checkins: (
        "checkin_id", "employee_id", "manager_id", "date", "progress", "obstacles",
        "support_needed", "next_actions", "manager_feedback",
    ),
}  # fmt: skip


class RowError(BaseModel):
    """One problem in an uploaded file; row 1 is the header."""

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
    updated: int


# --- row schemas ------------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


_ROW_CONFIG = SQLModelConfig(str_strip_whitespace=True, extra="ignore")


class _Row(BaseModel):
    model_config = _ROW_CONFIG


_ID = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")


# The employee and check-in rows are their table's fields, read with the import's rules:
# ids are plain tokens, a name is not blank, an empty optional cell means none.


class EmployeeRow(EmployeeBase):
    model_config = _ROW_CONFIG

    employee_id: str = _ID
    name: str = Field(min_length=1, max_length=200)

    _blanks = field_validator("manager_id", "hire_date", mode="before")(_blank_to_none)


class MetricRow(_Row):
    metric: str = _ID
    name: str = Field(min_length=1, max_length=200)
    unit: str = ""
    direction: Direction
    period_type: PeriodType


class HistoryRow(_Row):
    employee_id: str = _ID
    period: str = Field(min_length=1)
    metric: str = _ID
    value: float = Field(allow_inf_nan=False)


class CheckInRow(CheckInBase):
    model_config = _ROW_CONFIG

    checkin_id: str = _ID
    employee_id: str = _ID

    _blanks = field_validator("manager_id", mode="before")(_blank_to_none)


ROW_SCHEMAS: dict[ImportKind, type[BaseModel]] = {
    ImportKind.employees: EmployeeRow,
    ImportKind.metrics: MetricRow,
    ImportKind.history: HistoryRow,
    ImportKind.checkins: CheckInRow,
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


@dataclass
class _Parsed:
    rows: list[tuple[int, BaseModel]]
    errors: list[RowError]


def _parse(kind: ImportKind, text: str) -> _Parsed:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in header]
    if missing:
        return _Parsed(
            [], [RowError(row=1, column=c, reason="required column is missing") for c in missing]
        )
    schema = ROW_SCHEMAS[kind]
    parsed = _Parsed([], [])
    for line_no, raw in enumerate(reader, start=2):
        if None in raw:
            parsed.errors.append(
                RowError(row=line_no, column="", reason="more values than columns")
            )
            continue
        if all(not (v or "").strip() for v in raw.values()):
            continue
        try:
            parsed.rows.append((line_no, schema.model_validate(raw)))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else ""
                parsed.errors.append(RowError(row=line_no, column=column, reason=err["msg"]))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(row=1, column="", reason="the file has no data rows"))
    return parsed


def _duplicates(
    rows: Iterable[tuple[int, BaseModel]], key: Callable[[Any], tuple[str, ...]], column: str
) -> list[RowError]:
    seen: dict[tuple[str, ...], int] = {}
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


def _check_history(session: Session, rows: list[tuple[int, HistoryRow]]) -> list[RowError]:
    errors = _duplicates(rows, lambda r: (r.employee_id, r.metric, r.period), "period")
    employees = set(session.exec(select(Employee.employee_id)).all())
    metrics = {m.metric: m for m in session.exec(select(Metric)).all()}
    for line_no, r in rows:
        if r.employee_id not in employees:
            errors.append(
                RowError(
                    row=line_no, column="employee_id", reason=f"unknown employee {r.employee_id!r}"
                )
            )
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
    errors = _duplicates(rows, lambda r: (r.checkin_id,), "checkin_id")
    employees = set(session.exec(select(Employee.employee_id)).all())
    for line_no, r in rows:
        for column in ("employee_id", "manager_id"):
            value = getattr(r, column)
            if value and value not in employees:
                errors.append(
                    RowError(row=line_no, column=column, reason=f"unknown employee {value!r}")
                )
    return errors


def _check_metrics(_session: Session, rows: list[tuple[int, MetricRow]]) -> list[RowError]:
    return _duplicates(rows, lambda r: (r.metric,), "metric")


def _upsert_by_pk(
    session: Session, model: type[SQLModel], pk: str, records: list[dict[str, Any]]
) -> tuple[int, int]:
    keys = [r[pk] for r in records]
    existing: set[Any] = set()
    column = getattr(model, pk)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        existing.update(session.exec(select(column).where(col(column).in_(chunk))).all())
    new = [r for r in records if r[pk] not in existing]
    old = [r for r in records if r[pk] in existing]
    if new:
        session.execute(insert(model), new)
    if old:
        session.execute(update(model), old)
    return len(new), len(old)


def _write_history(session: Session, rows: list[HistoryRow]) -> tuple[int, int]:
    existing: dict[tuple[str, str, str], int] = {}
    metrics = sorted({r.metric for r in rows})
    query = sa_select(
        col(MetricValue.id),
        col(MetricValue.employee_id),
        col(MetricValue.metric),
        col(MetricValue.period),
    ).where(col(MetricValue.metric).in_(metrics))
    for id_, employee_id, metric, period in session.execute(query):
        existing[(employee_id, metric, period)] = id_
    new, old = [], []
    for r in rows:
        key = (r.employee_id, r.metric, r.period)
        if key in existing:
            old.append({"id": existing[key], "value": r.value})
        else:
            new.append(
                {
                    "employee_id": r.employee_id,
                    "metric": r.metric,
                    "period": r.period,
                    "value": r.value,
                }
            )
    if new:
        session.execute(insert(MetricValue), new)
    if old:
        session.execute(update(MetricValue), old)
    return len(new), len(old)


def _write_checkins(session: Session, rows: list[CheckInRow]) -> tuple[int, int]:
    inserted = updated = 0
    for r in rows:
        checkin = session.get(CheckIn, r.checkin_id)
        if checkin is None:
            checkin = CheckIn(**r.model_dump())
            inserted += 1
        else:
            for field, value in r.model_dump(exclude={"checkin_id"}).items():
                setattr(checkin, field, value)
            checkin.updated_at = utcnow()
            updated += 1
        annotate_feedback(checkin)
        session.add(checkin)
    return inserted, updated


def import_csv(session: Session, kind: ImportKind, data: bytes, *, actor: str) -> ImportReport:
    """Validate and write one CSV file inside the caller's transaction, or raise ImportFailed."""
    parsed = _parse(kind, decode_csv(data))
    if parsed.errors and not parsed.rows:
        raise ImportFailed(kind.value, parsed.errors)
    rows: Any = parsed.rows
    # The checks below read what the writes rely on (which keys exist): taking the imports'
    # lock first keeps two imports from racing between check and write. Parsing is done
    # before it, so the transaction lasts only as long as the writes.
    write_lock(session, "imports")
    checks: dict[ImportKind, Callable[[Session, Any], list[RowError]]] = {
        ImportKind.employees: _check_employees,
        ImportKind.metrics: _check_metrics,
        ImportKind.history: _check_history,
        ImportKind.checkins: _check_checkins,
    }
    # Report every problem at once: unparseable rows and the cross-row checks of the rest.
    errors = parsed.errors + checks[kind](session, rows)
    if errors:
        raise ImportFailed(kind.value, sorted(errors, key=lambda e: (e.row, e.column)))
    plain = [r for _, r in parsed.rows]
    if kind == ImportKind.employees:
        now = utcnow()
        records = [{**r.model_dump(), "updated_at": now} for r in plain]
        inserted, updated = _upsert_by_pk(session, Employee, "employee_id", records)
    elif kind == ImportKind.metrics:
        records = [r.model_dump(mode="json") for r in plain]
        inserted, updated = _upsert_by_pk(session, Metric, "metric", records)
    elif kind == ImportKind.history:
        inserted, updated = _write_history(session, plain)  # type: ignore[arg-type]
    else:
        inserted, updated = _write_checkins(session, plain)  # type: ignore[arg-type]
    session.flush()
    record_event(
        session,
        actor=actor,
        action="import",
        object_type=kind.value,
        object_id=f"{len(plain)} rows",
        after={"rows": len(plain), "inserted": inserted, "updated": updated},
    )
    return ImportReport(kind=kind, rows=len(plain), inserted=inserted, updated=updated)
