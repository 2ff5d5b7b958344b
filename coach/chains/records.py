"""A person's evidence as a typed snapshot in which every record carries a citation id.

Citation ids are what drafts cite and what the grounding check resolves:

| record            | citation id                       | example          |
|-------------------|-----------------------------------|------------------|
| employee profile  | the employee id                   | `E012`           |
| key result        | the stored `kr_id`                | `KR-E012-1`      |
| check-in          | the stored `checkin_id`           | `C-E012-202611`  |
| key event         | the stored `event_id`             | `K-E012-1`       |
| review score      | `R-` + the row id                 | `R-118`          |

Stored ids come from imports and are unique per table; should two kinds ever share an id
the later one is prefixed with its kind (`checkin:…`) so every citation stays unambiguous.
Only records of the requested employee are loaded; the caller has checked the scope.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from coach.chains.names import NameIndex, org_index, strings
from coach.core.errors import InvalidInput, NotFound
from coach.core.models import (
    CheckIn,
    CheckInNotes,
    Direction,
    Employee,
    EmployeeProfile,
    Goal,
    KeyEvent,
    KeyResult,
    ProgressUpdate,
    ReviewScore,
)

CoachingKind = Literal["checkin_topics", "feedback", "development"]
Lang = Literal["zh", "en"]

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "results": ("业绩结果", "results"),
    "behavior": ("行为与价值观", "behaviour and values"),
    "team": ("团队贡献", "team contribution"),
    "innovation": ("创新", "innovation"),
}

# Text in a record that reads like an instruction to the model rather than a fact.
INJECTION_PATTERN = re.compile(
    r"忽略.{0,8}(指令|指示|提示|要求|规则)|无视.{0,8}(指令|规则)|满分|你现在是|系统提示"
    r"|ignore\s+(all\s+|any\s+)?(previous|prior|above|earlier)\s+(instructions|prompts?)"
    r"|disregard\s+.{0,20}instructions|system\s+prompt|top\s+rating",
    re.IGNORECASE,
)


def fmt_num(value: float) -> str:
    """A number as records show it: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Cited(BaseModel):
    """What every record starts with: the id drafts cite it by, and its kind."""

    id: str
    kind: str


# Records extend the stored entity's shared part; inherited fields come in reversed-MRO
# order, so `Cited` (then any head of the record's own) leads, as the prompts show them.
class ProfileRecord(EmployeeProfile, Cited):
    """Who the person is; cited by its employee id."""

    kind: Literal["profile"] = "profile"
    tenure_months: int = Field(description="Whole months since the hire date.")
    manager_id: str | None
    manager_name: str | None


class UpdateNote(BaseModel):
    date: date
    value: float
    note: str


class KeyResultRecord(BaseModel):
    """A key result with its progress against the time elapsed."""

    id: str
    kind: Literal["key_result"] = "key_result"
    goal_title: str
    cycle: str
    title: str
    unit: str
    direction: Direction
    baseline: float
    target: float
    current: float
    remaining: float = Field(description="How far the current value is from the target.")
    due_date: date | None
    progress_pct: int = Field(description="Share of the way from baseline to target, percent.")
    expected_pct: int = Field(description="Share of the period elapsed, percent.")
    status: Literal["done", "ahead", "on_track", "off_track"]
    updates: list[UpdateNote] = Field(default_factory=list)


class _CheckInHead(Cited):
    kind: Literal["checkin"] = "checkin"
    date: date
    manager_name: str | None


class CheckInRecord(CheckInNotes, _CheckInHead):
    """A check-in: progress, obstacles, support needed, next actions and both sides' words."""


class ReviewRecord(BaseModel):
    """One review score on one dimension."""

    id: str
    kind: Literal["review"] = "review"
    cycle: str
    dimension: str
    dimension_label: str
    score: float
    comment: str


class EventRecord(BaseModel):
    """A key event (关键事件) and who wrote it down."""

    id: str
    kind: Literal["event"] = "event"
    date: date
    polarity: str
    description: str
    impact: str
    author_name: str | None
    author_relation: Literal["manager", "peer", "self", "unknown"]


class PracticeRecord(BaseModel):
    """A practice retrieved from the library; cited by its document id."""

    id: str
    kind: Literal["practice"] = "practice"
    title: str
    snippet: str
    tags: list[str]


class Calendar(BaseModel):
    """The dates a next action may be due on."""

    as_of: date
    next_checkin: date
    month_end: date
    cycle_end: date

    def due_dates(self) -> list[date]:
        """Allowed due dates, earliest first."""
        return sorted({self.next_checkin, self.month_end, self.cycle_end})


Record = (
    ProfileRecord | KeyResultRecord | CheckInRecord | ReviewRecord | EventRecord | PracticeRecord
)


class Snapshot(BaseModel):
    """Everything a chain may use about one person, as stored with the draft."""

    draft_kind: CoachingKind
    lang: Lang = "zh"
    as_of: date
    cycle: str | None = None
    review_cycle: str | None = Field(
        default=None, description="The cycle the review scores are from."
    )
    profile: ProfileRecord
    key_results: list[KeyResultRecord] = Field(default_factory=list)
    checkins: list[CheckInRecord] = Field(default_factory=list, description="Newest first.")
    reviews: list[ReviewRecord] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list, description="Newest first.")
    practices: list[PracticeRecord] = Field(default_factory=list)
    calendar: Calendar
    flagged_ids: list[str] = Field(
        default_factory=list, description="Records whose text reads like instructions."
    )

    def records(self) -> dict[str, Record]:
        """Every citable record by its citation id."""
        out: dict[str, Record] = {self.profile.id: self.profile}
        for group in (
            self.key_results,
            self.checkins,
            self.reviews,
            self.events,
            self.practices,
        ):
            for record in group:
                out[record.id] = record
        return out

    def evidence_count(self) -> int:
        """How many records besides the profile there are."""
        return len(self.key_results) + len(self.checkins) + len(self.reviews) + len(self.events)


class Directory(BaseModel):
    """Names and ids of the people a snapshot names: for pseudonymisation and name checks."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    people: dict[str, str] = Field(description="employee_id -> name")
    org: NameIndex | None = Field(
        default=None, exclude=True,
        description="Everyone in the organisation, so a name an answer invents is caught too; "
        "without it, only `people`.",
    )  # fmt: skip

    def index(self) -> NameIndex:
        """The people whose names and ids the grounding check looks for."""
        return self.org if self.org is not None else NameIndex(self.people)


# --- periods -----------------------------------------------------------------------------

_CYCLE = re.compile(r"^(\d{4})(?:(H)([12])|(Q)([1-4]))?$")


def cycle_window(cycle: str) -> tuple[date, date]:
    """First and last day of a cycle like 2026H1, 2026Q4 or 2026."""
    match = _CYCLE.match(cycle.strip())
    if not match:
        raise InvalidInput("cycle", f"{cycle!r} is not a cycle like 2026H1, 2026Q4 or 'latest'")
    year = int(match.group(1))
    if match.group(2):
        half = int(match.group(3))
        return date(year, 1 + 6 * (half - 1), 1), date(year, 6, 30) if half == 1 else date(
            year, 12, 31
        )
    if match.group(4):
        quarter = int(match.group(5))
        start = date(year, 3 * quarter - 2, 1)
        return start, _month_end(date(year, 3 * quarter, 1))
    return date(year, 1, 1), date(year, 12, 31)


def half_of(day: date) -> str:
    """The half-year cycle containing a day."""
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def _month_end(day: date) -> date:
    first_next = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _tenure_months(hired: date | None, as_of: date) -> int:
    if hired is None:
        return 0
    return max(0, (as_of.year - hired.year) * 12 + as_of.month - hired.month)


# --- loading -----------------------------------------------------------------------------


def load_names(session: Session, snapshot: Snapshot) -> Directory:
    """The id and name of everyone the snapshot's records name or refer to (nothing else)."""
    text = "\n".join(strings(snapshot.model_dump(mode="json")))
    org = org_index(session)
    return Directory(people=org.people_in(text), org=org)


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    rows = session.exec(
        select(Employee.employee_id, Employee.name).where(col(Employee.employee_id).in_(ids))
    ).all()
    return dict(rows)


def _kr_record(
    kr: KeyResult, goal: Goal, as_of: date, updates: list[ProgressUpdate]
) -> KeyResultRecord:
    try:
        start, end = cycle_window(goal.cycle)
    except InvalidInput:
        start, end = as_of - timedelta(days=90), as_of + timedelta(days=90)
    end = kr.due_date or end
    span = max(1, (end - start).days)
    expected = round(100 * min(1.0, max(0.0, (as_of - start).days / span)))
    if kr.target == kr.baseline:
        progress = 100 if kr.current == kr.target else 0
    else:
        progress = round(100 * (kr.current - kr.baseline) / (kr.target - kr.baseline))
    if progress >= 100:
        status: Literal["done", "ahead", "on_track", "off_track"] = "done"
    elif expected - progress >= 15:
        status = "off_track"
    elif progress - expected >= 10:
        status = "ahead"
    else:
        status = "on_track"
    return KeyResultRecord(
        id=kr.kr_id,
        goal_title=goal.title,
        cycle=goal.cycle,
        title=kr.title,
        unit=kr.unit,
        direction=kr.direction,
        baseline=kr.baseline,
        target=kr.target,
        current=kr.current,
        remaining=round(abs(kr.target - kr.current), 2),
        due_date=kr.due_date,
        progress_pct=progress,
        expected_pct=expected,
        status=status,
        updates=[UpdateNote(date=u.date, value=u.value, note=u.note) for u in updates[-3:]],
    )


def _relation(
    author_id: str | None, subject: Employee
) -> Literal["manager", "peer", "self", "unknown"]:
    if author_id is None:
        return "unknown"
    if author_id == subject.employee_id:
        return "self"
    if author_id == subject.manager_id:
        return "manager"
    return "peer"


def load_snapshot(
    session: Session,
    *,
    employee_id: str,
    draft_kind: CoachingKind,
    as_of: date,
    cycle: str | None = None,
    lang: Lang = "zh",
) -> Snapshot:
    """Load one person's evidence for a chain, each record with its citation id."""
    subject = session.get(Employee, employee_id)
    if subject is None:
        raise NotFound("employee", employee_id)

    if draft_kind == "feedback":
        resolved = half_of(as_of) if cycle in (None, "", "latest") else str(cycle)
        start, end = cycle_window(resolved)
        end = min(end, as_of) if start <= as_of else end
    elif draft_kind == "checkin_topics":
        resolved, start, end = None, as_of - timedelta(days=120), as_of
    else:
        resolved, start, end = None, as_of - timedelta(days=365), as_of

    checkin_rows = session.exec(
        select(CheckIn)
        .where(CheckIn.employee_id == employee_id)
        .where(col(CheckIn.date) >= start, col(CheckIn.date) <= end)
        .order_by(col(CheckIn.date).desc())
    ).all()
    checkin_limit = {"checkin_topics": 4, "feedback": 8, "development": 6}[draft_kind]
    checkin_rows = checkin_rows[:checkin_limit]
    event_start = start if draft_kind != "checkin_topics" else as_of - timedelta(days=180)
    event_rows = session.exec(
        select(KeyEvent)
        .where(KeyEvent.employee_id == employee_id)
        .where(col(KeyEvent.date) >= event_start, col(KeyEvent.date) <= end)
        .order_by(col(KeyEvent.date).desc())
    ).all()[:8]
    people = _names(
        session,
        {i for i in (subject.manager_id, *(c.manager_id for c in checkin_rows),
                     *(e.author_id for e in event_rows)) if i},
    )  # fmt: skip
    checkins = [
        CheckInRecord.model_validate(
            c, update={"id": c.checkin_id, "manager_name": people.get(c.manager_id or "")}
        )
        for c in checkin_rows
    ]

    events = [
        EventRecord(
            id=e.event_id,
            date=e.date,
            polarity=e.kind,
            description=e.description,
            impact=e.impact,
            author_name=people.get(e.author_id or ""),
            author_relation=_relation(e.author_id, subject),
        )
        for e in event_rows
    ]

    score_rows = session.exec(
        select(ReviewScore).where(ReviewScore.employee_id == employee_id)
    ).all()
    cycles = sorted({r.cycle for r in score_rows if _cycle_start(r.cycle) <= as_of}, reverse=True)
    if draft_kind == "feedback" and resolved in cycles:
        wanted = [resolved]
    elif draft_kind == "development":
        wanted = cycles[:2]
    else:
        wanted = cycles[:1]
    reviews = [
        ReviewRecord(
            id=f"R-{r.id}",
            cycle=r.cycle,
            dimension=r.dimension,
            dimension_label=DIMENSION_LABELS.get(r.dimension, (r.dimension, r.dimension))[
                0 if lang == "zh" else 1
            ],
            score=r.score,
            comment=r.comment,
        )
        for r in sorted(score_rows, key=lambda r: (r.cycle, r.dimension), reverse=True)
        if r.cycle in wanted
    ]

    key_results = []
    goals = session.exec(select(Goal).where(Goal.employee_id == employee_id)).all()
    for goal in goals:
        if not _goal_in_scope(goal, draft_kind, as_of, start, end):
            continue
        for kr in session.exec(
            select(KeyResult)
            .where(KeyResult.goal_id == goal.goal_id)
            .order_by(col(KeyResult.kr_id))
        ).all():
            updates = list(
                session.exec(
                    select(ProgressUpdate)
                    .where(ProgressUpdate.kr_id == kr.kr_id, col(ProgressUpdate.date) <= as_of)
                    .order_by(col(ProgressUpdate.date))
                ).all()
            )
            key_results.append(_kr_record(kr, goal, as_of, updates))

    cycle_end = cycle_window(resolved)[1] if resolved else cycle_window(half_of(as_of))[1]
    snapshot = Snapshot(
        draft_kind=draft_kind,
        lang=lang,
        as_of=as_of,
        cycle=resolved,
        review_cycle=wanted[0] if wanted else None,
        profile=ProfileRecord.model_validate(
            subject,
            update={
                "id": subject.employee_id,
                "tenure_months": _tenure_months(subject.hire_date, as_of),
                "manager_name": people.get(subject.manager_id or ""),
            },
        ),
        key_results=key_results,
        checkins=checkins,
        reviews=reviews,
        events=events,
        calendar=Calendar(
            as_of=as_of,
            next_checkin=as_of + timedelta(days=14),
            month_end=_month_end(as_of + timedelta(days=7)),
            cycle_end=max(cycle_end, as_of + timedelta(days=1)),
        ),
    )
    return _disambiguate(_flag_instructions(snapshot))


def _cycle_start(cycle: str) -> date:
    try:
        return cycle_window(cycle)[0]
    except InvalidInput:
        return date.max


def _goal_in_scope(
    goal: Goal, draft_kind: CoachingKind, as_of: date, start: date, end: date
) -> bool:
    try:
        g_start, g_end = cycle_window(goal.cycle)
    except InvalidInput:
        return goal.status == "active"
    if g_start > as_of:
        return False
    if draft_kind == "feedback":
        return g_start <= end and g_end >= start
    return goal.status == "active" and g_end >= as_of - timedelta(days=30)


def _flag_instructions(snapshot: Snapshot) -> Snapshot:
    flagged = [
        record_id
        for record_id, record in snapshot.records().items()
        if INJECTION_PATTERN.search(" ".join(str(v) for v in record.model_dump().values()))
    ]
    return snapshot.model_copy(update={"flagged_ids": flagged})


def _disambiguate(snapshot: Snapshot) -> Snapshot:
    seen: set[str] = {snapshot.profile.id}
    changed: dict[str, Any] = {}
    for field in ("key_results", "checkins", "reviews", "events"):
        group = getattr(snapshot, field)
        fixed = []
        for record in group:
            if record.id in seen:
                record = record.model_copy(update={"id": f"{record.kind}:{record.id}"})
            seen.add(record.id)
            fixed.append(record)
        changed[field] = fixed
    return snapshot.model_copy(update=changed)
