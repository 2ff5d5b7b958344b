"""Performance records people write down: goals with key results, progress, review scores and
key events, plus the reads of metrics, history and check-ins.

Each kind has one validated shape (`GoalCreate`, `KeyResultCreate`, `ProgressCreate`,
`ReviewCreate`, `KeyEventCreate`): the API's request body and the import's row are the same
class, so a value refused in one is refused in the other. Who may write: admin and HR for
anyone, a manager for the people below them; an employee also for their own goals and
progress, never for their own scores or key events. Reads follow the usual scope.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticUseDefault
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel._compat import SQLModelConfig

from coach.core.audit import record_event
from coach.core.cycles import CYCLE_EXAMPLES, is_cycle
from coach.core.db import RECORDS_LOCK, write_lock
from coach.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from coach.core.models import (
    CheckIn,
    Employee,
    Goal,
    GoalBase,
    GoalPublic,
    KeyEvent,
    KeyEventBase,
    KeyResult,
    KeyResultFields,
    KeyResultPublic,
    Metric,
    MetricValue,
    ProgressReading,
    ProgressUpdate,
    ProgressUpdatePublic,
    ReviewScore,
    ReviewScoreBase,
    Role,
)
from coach.org.access import can_view, manages, scope_filter
from coach.org.users import Principal
from coach.targets.errors import UnknownMetric

# An id people type or export: a plain token, so it survives CSV, URLs and citations.
RECORD_ID = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
_OPTIONAL_ID = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
# Free text is capped so one cell or field cannot fill the database.
_SHAPE = SQLModelConfig(str_strip_whitespace=True, extra="ignore", str_max_length=5000)

ScoreScale = tuple[float, float]
EMPLOYEES_HINT = "see GET /v1/employees for the people in your scope"


def blank_to_none(value: Any) -> Any:
    """An empty cell or string means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


_SLASHED_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")


def spreadsheet_date(value: Any) -> Any:
    """A date as Excel in China writes it into CSV (`2026/3/5`) read as `2026-03-05`; blank is none."""
    if blank_to_none(value) is None:
        return None
    match = _SLASHED_DATE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return value
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def blank_is_default(value: Any) -> Any:
    """An empty cell of a column with a default (a kind, a direction, a status) means the default."""
    if blank_to_none(value) is None:
        raise PydanticUseDefault
    return value


def _check_cycle(value: str) -> str:
    if not is_cycle(value):
        raise ValueError(f"{value!r} is not a cycle like {CYCLE_EXAMPLES}")
    return value


def score_problem(score: float, scale: ScoreScale) -> str | None:
    """Why a score is outside the company's scale, or None if it is inside."""
    low, high = scale
    if low <= score <= high:
        return None
    return f"{score:g} is outside the review scale {low:g}–{high:g}"


# --- shapes -----------------------------------------------------------------------------


class GoalCreate(GoalBase):
    model_config = _SHAPE

    goal_id: str = RECORD_ID
    employee_id: str = RECORD_ID
    title: str = Field(min_length=1, max_length=500)
    status: str = Field(default="active", max_length=20)

    _cycle = field_validator("cycle")(_check_cycle)
    _defaults = field_validator("kind", "status", mode="before")(blank_is_default)


class KeyResultDraft(KeyResultFields):
    """A key result as written inside its goal's request."""

    model_config = _SHAPE

    kr_id: str = RECORD_ID
    title: str = Field(min_length=1, max_length=500)
    metric: str | None = _OPTIONAL_ID
    baseline: float = Field(default=0.0, allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)

    _blanks = field_validator("metric", mode="before")(blank_to_none)
    _due = field_validator("due_date", mode="before")(spreadsheet_date)
    _defaults = field_validator("direction", "baseline", mode="before")(blank_is_default)


class KeyResultCreate(KeyResultDraft):
    """A key result on its own (an import row): it names its goal."""

    goal_id: str = RECORD_ID


class GoalPost(GoalCreate):
    """A goal with its key results, as the API takes it."""

    key_results: list[KeyResultDraft] = Field(default_factory=list, max_length=50)


class ProgressEntry(ProgressReading):
    """A progress reading as the API takes it; the key result is in the path."""

    model_config = _SHAPE

    value: float = Field(allow_inf_nan=False)
    author_id: str | None = _OPTIONAL_ID

    _blanks = field_validator("author_id", mode="before")(blank_to_none)
    _date = field_validator("date", mode="before")(spreadsheet_date)


class ProgressCreate(ProgressEntry):
    kr_id: str = RECORD_ID


class ReviewCreate(ReviewScoreBase):
    model_config = _SHAPE

    employee_id: str = RECORD_ID
    dimension: str = Field(min_length=1, max_length=50)
    score: float = Field(allow_inf_nan=False)
    reviewer_id: str | None = _OPTIONAL_ID

    _cycle = field_validator("cycle")(_check_cycle)
    _blanks = field_validator("reviewer_id", mode="before")(blank_to_none)


class KeyEventCreate(KeyEventBase):
    model_config = _SHAPE

    event_id: str = RECORD_ID
    employee_id: str = RECORD_ID
    description: str = Field(min_length=1)
    author_id: str | None = _OPTIONAL_ID

    _blanks = field_validator("author_id", mode="before")(blank_to_none)
    _defaults = field_validator("kind", mode="before")(blank_is_default)
    _date = field_validator("date", mode="before")(spreadsheet_date)


class KeyResultWithProgress(KeyResultPublic):
    progress: list[ProgressUpdatePublic]


class GoalWithResults(GoalPublic):
    key_results: list[KeyResultWithProgress]


# --- who may write ----------------------------------------------------------------------


def _existing_employee(session: Session, employee_id: str) -> Employee:
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound("employee", employee_id, hint=EMPLOYEES_HINT)
    return employee


def _require_writer(
    session: Session, principal: Principal, employee_id: str, what: str, *, own: bool
) -> None:
    """Admin, HR, a manager above the person, and (when `own`) the person themselves."""
    if principal.role in (Role.admin, Role.hr):
        return
    if own and principal.employee_id == employee_id:
        return
    if manages(session, principal, employee_id):
        return
    who = "admin, HR, a manager above them" + (" or they themselves" if own else "")
    raise Forbidden(f"only {who} record {what} of {employee_id!r}")


def _author(session: Session, principal: Principal, given: str | None, field: str) -> str | None:
    """Who wrote a record: the caller; admin and HR may name someone else."""
    if principal.role in (Role.admin, Role.hr) and given is not None:
        _known_employee(session, given, field)
        return given
    if given is not None and given != principal.employee_id:
        raise Forbidden(f"{field}: you record under your own name ({principal.employee_id!r})")
    return principal.employee_id


def _known_employee(session: Session, employee_id: str, field: str) -> None:
    if session.get(Employee, employee_id) is None:
        raise InvalidInput(field, f"unknown employee {employee_id!r}")


def _known_metric(session: Session, metric: str | None, field: str) -> None:
    if metric is not None and session.get(Metric, metric) is None:
        known = session.exec(select(Metric.metric)).all()
        raise InvalidInput(field, str(UnknownMetric(metric, known)))


# --- writes -----------------------------------------------------------------------------


def create_goal(session: Session, principal: Principal, data: GoalPost) -> GoalWithResults:
    """Record a goal with its key results; its id and theirs must be new."""
    # The same lock as imports: record writes come one at a time, so the checks below hold.
    write_lock(session, RECORDS_LOCK)
    _existing_employee(session, data.employee_id)
    _require_writer(session, principal, data.employee_id, "goals", own=True)
    if session.get(Goal, data.goal_id) is not None:
        raise Conflict(f"goal {data.goal_id!r} already exists")
    seen: set[str] = set()
    for i, kr in enumerate(data.key_results):
        field = f"key_results.{i}.kr_id"
        if kr.kr_id in seen or session.get(KeyResult, kr.kr_id) is not None:
            raise InvalidInput(field, f"key result {kr.kr_id!r} already exists")
        seen.add(kr.kr_id)
        _known_metric(session, kr.metric, f"key_results.{i}.metric")
    goal = Goal(**data.model_dump(exclude={"key_results"}))
    session.add(goal)
    session.flush()
    for kr in data.key_results:
        session.add(KeyResult(**kr.model_dump(), goal_id=goal.goal_id, current=kr.baseline))
    session.flush()
    view = _goal_views(session, [goal])[0]
    record_event(
        session, actor=principal.label, action="create", object_type="goal",
        object_id=goal.goal_id, after=view.model_dump(mode="json"),
        detail={"employee_id": goal.employee_id, "key_results": len(data.key_results)},
    )  # fmt: skip
    return view


def add_progress(
    session: Session, principal: Principal, kr_id: str, entry: ProgressEntry
) -> ProgressUpdate:
    """Record a key result's reading for a day (replacing that day's earlier one)."""
    write_lock(session, RECORDS_LOCK)
    kr = session.get(KeyResult, kr_id)
    if kr is None:
        raise NotFound("key result", kr_id, hint="see GET /v1/goals for the key results")
    data = ProgressCreate(kr_id=kr.kr_id, **entry.model_dump())
    goal = session.get(Goal, kr.goal_id)
    owner = goal.employee_id if goal is not None else ""
    _require_writer(session, principal, owner, "progress", own=True)
    author = _author(session, principal, data.author_id, "author_id")
    stored = session.exec(
        select(ProgressUpdate).where(
            ProgressUpdate.kr_id == data.kr_id, ProgressUpdate.date == data.date
        )
    ).first()
    before = stored.model_dump(mode="json") if stored else None
    values = {**data.model_dump(), "author_id": author}
    if stored is None:
        stored = ProgressUpdate(**values)
    else:
        for field, value in values.items():
            setattr(stored, field, value)
    session.add(stored)
    session.flush()
    refresh_current(session, [data.kr_id])
    record_event(
        session, actor=principal.label, action="create" if before is None else "update",
        object_type="progress", object_id=f"{data.kr_id}@{data.date.isoformat()}",
        before=before, after=stored.model_dump(mode="json"), detail={"employee_id": owner},
    )  # fmt: skip
    return stored


def refresh_current(session: Session, kr_ids: list[str]) -> None:
    """Set each key result's `current` to its latest reading."""
    for kr_id in kr_ids:
        latest = session.exec(
            select(ProgressUpdate.value)
            .where(ProgressUpdate.kr_id == kr_id)
            .order_by(col(ProgressUpdate.date).desc())
            .limit(1)
        ).first()
        kr = session.get(KeyResult, kr_id)
        if kr is not None and latest is not None:
            kr.current = latest
            session.add(kr)


def save_review(
    session: Session, principal: Principal, data: ReviewCreate, *, scale: ScoreScale
) -> ReviewScore:
    """Record one reviewer's score (replacing that reviewer's earlier score of the same thing)."""
    write_lock(session, RECORDS_LOCK)
    _existing_employee(session, data.employee_id)
    if principal.employee_id == data.employee_id:
        raise Forbidden("nobody records a review score about themselves")
    _require_writer(session, principal, data.employee_id, "review scores", own=False)
    reviewer = _author(session, principal, data.reviewer_id, "reviewer_id")
    if reviewer is None:
        raise InvalidInput("reviewer_id", "name the reviewer: your account is not an employee")
    problem = score_problem(data.score, scale)
    if problem:
        raise InvalidInput("score", problem)
    stored = session.exec(
        select(ReviewScore).where(
            ReviewScore.cycle == data.cycle,
            ReviewScore.employee_id == data.employee_id,
            ReviewScore.dimension == data.dimension,
            ReviewScore.reviewer_id == reviewer,
        )
    ).first()
    before = stored.model_dump(mode="json") if stored else None
    values = {**data.model_dump(), "reviewer_id": reviewer}
    if stored is None:
        stored = ReviewScore(**values)
    else:
        for field, value in values.items():
            setattr(stored, field, value)
    session.add(stored)
    session.flush()
    record_event(
        session, actor=principal.label, action="create" if before is None else "update",
        object_type="review_score", object_id=str(stored.id), before=before,
        after=stored.model_dump(mode="json"), detail={"employee_id": data.employee_id},
    )  # fmt: skip
    return stored


def create_key_event(session: Session, principal: Principal, data: KeyEventCreate) -> KeyEvent:
    """Record a key event about a person; its id must be new."""
    write_lock(session, RECORDS_LOCK)
    _existing_employee(session, data.employee_id)
    if principal.employee_id == data.employee_id:
        raise Forbidden("key events are recorded by someone else than the person they are about")
    _require_writer(session, principal, data.employee_id, "key events", own=False)
    if session.get(KeyEvent, data.event_id) is not None:
        raise Conflict(f"key event {data.event_id!r} already exists")
    author = _author(session, principal, data.author_id, "author_id")
    event = KeyEvent(**{**data.model_dump(), "author_id": author})
    session.add(event)
    session.flush()
    record_event(
        session, actor=principal.label, action="create", object_type="key_event",
        object_id=event.event_id, after=event.model_dump(mode="json"),
        detail={"employee_id": data.employee_id, "kind": event.kind},
    )  # fmt: skip
    return event


# --- reads ------------------------------------------------------------------------------


def _visible_employee(session: Session, principal: Principal, employee_id: str) -> None:
    _existing_employee(session, employee_id)
    if not can_view(session, principal, employee_id):
        raise Forbidden(f"employee {employee_id!r} is outside your scope")


def _page(
    session: Session, model: Any, clauses: list[Any], order: list[Any], offset: int, limit: int
) -> tuple[list[Any], int]:
    query = select(model)
    count_query = select(func.count()).select_from(model)
    for clause in clauses:
        query = query.where(clause)
        count_query = count_query.where(clause)
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    return list(rows), session.exec(count_query).one()


def _scoped(
    session: Session, principal: Principal, column: Any, employee_id: str | None
) -> list[Any]:
    """WHERE clauses: the caller's scope, and one person if named (who must be visible)."""
    clauses: list[Any] = []
    scope = scope_filter(principal, column)
    if scope is not None:
        clauses.append(scope)
    if employee_id is not None:
        _visible_employee(session, principal, employee_id)
        clauses.append(col(column) == employee_id)
    return clauses


def list_checkins(
    session: Session, principal: Principal, *, employee_id: str | None = None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[CheckIn], int]:  # fmt: skip
    """Check-ins within scope (of one person if named), newest first."""
    clauses = _scoped(session, principal, CheckIn.employee_id, employee_id)
    order = [col(CheckIn.date).desc(), col(CheckIn.created_at).desc(), col(CheckIn.checkin_id)]
    return _page(session, CheckIn, clauses, order, offset, limit)


def list_metrics(
    session: Session, *, offset: int = 0, limit: int = 100
) -> tuple[list[Metric], int]:
    """The metric definitions, by id."""
    return _page(session, Metric, [], [col(Metric.metric)], offset, limit)


def employee_history(
    session: Session, principal: Principal, employee_id: str, *, metric: str | None = None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[MetricValue], int]:  # fmt: skip
    """One person's metric values (of one metric if named), by metric and period."""
    clauses = _scoped(session, principal, MetricValue.employee_id, employee_id)
    if metric is not None:
        if session.get(Metric, metric) is None:
            raise UnknownMetric(metric, session.exec(select(Metric.metric)).all())
        clauses.append(col(MetricValue.metric) == metric)
    order = [col(MetricValue.metric), col(MetricValue.period)]
    return _page(session, MetricValue, clauses, order, offset, limit)


def list_goals(
    session: Session, principal: Principal, *, employee_id: str | None = None,
    cycle: str | None = None, offset: int = 0, limit: int = 100,
) -> tuple[list[GoalWithResults], int]:  # fmt: skip
    """Goals within scope with their key results and each one's progress, by person and cycle."""
    clauses = _scoped(session, principal, Goal.employee_id, employee_id)
    if cycle is not None:
        clauses.append(col(Goal.cycle) == cycle)
    order = [col(Goal.employee_id), col(Goal.cycle), col(Goal.goal_id)]
    goals, count = _page(session, Goal, clauses, order, offset, limit)
    return _goal_views(session, goals), count


def _goal_views(session: Session, goals: list[Goal]) -> list[GoalWithResults]:
    goal_ids = [g.goal_id for g in goals]
    krs = session.exec(
        select(KeyResult).where(col(KeyResult.goal_id).in_(goal_ids)).order_by(col(KeyResult.kr_id))
    ).all()
    readings = session.exec(
        select(ProgressUpdate)
        .where(col(ProgressUpdate.kr_id).in_([k.kr_id for k in krs]))
        .order_by(col(ProgressUpdate.date))
    ).all()
    progress: dict[str, list[ProgressUpdatePublic]] = {}
    for reading in readings:
        progress.setdefault(reading.kr_id, []).append(ProgressUpdatePublic.model_validate(reading))
    results: dict[str, list[KeyResultWithProgress]] = {}
    for kr in krs:
        results.setdefault(kr.goal_id, []).append(
            KeyResultWithProgress(**kr.model_dump(), progress=progress.get(kr.kr_id, []))
        )
    return [
        GoalWithResults(**g.model_dump(), key_results=results.get(g.goal_id, [])) for g in goals
    ]


def list_reviews(
    session: Session, principal: Principal, *, employee_id: str | None = None,
    cycle: str | None = None, offset: int = 0, limit: int = 100,
) -> tuple[list[ReviewScore], int]:  # fmt: skip
    """Review scores within scope, by cycle, person, dimension and reviewer."""
    clauses = _scoped(session, principal, ReviewScore.employee_id, employee_id)
    if cycle is not None:
        clauses.append(col(ReviewScore.cycle) == cycle)
    order = [
        col(ReviewScore.cycle), col(ReviewScore.employee_id), col(ReviewScore.dimension),
        col(ReviewScore.reviewer_id),
    ]  # fmt: skip
    return _page(session, ReviewScore, clauses, order, offset, limit)


def list_key_events(
    session: Session, principal: Principal, *, employee_id: str | None = None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[KeyEvent], int]:  # fmt: skip
    """Key events within scope, newest first."""
    clauses = _scoped(session, principal, KeyEvent.employee_id, employee_id)
    order = [col(KeyEvent.date).desc(), col(KeyEvent.event_id)]
    return _page(session, KeyEvent, clauses, order, offset, limit)
