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
from coach.core.cycles import cycle_span, half_of, month_end
from coach.core.errors import Conflict, InvalidInput, NotFound
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
from coach.org.users import employee_names

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
    measured_on: date = Field(
        description="The day progress_pct and expected_pct are measured on: that of the latest "
        "progress update, else the snapshot's as_of."
    )
    progress_pct: int = Field(description="Share of the way from baseline to target, percent.")
    expected_pct: int = Field(description="Share of the period elapsed on measured_on, percent.")
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
    joined_mid_cycle: bool = Field(
        default=False,
        description="Hired after the cycle began: reviewed on part of it (入职不满一个周期).",
    )


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
    matched_sentence: str = ""
    """The sentence of the practice that matched the gap, shown beside the suggestion."""


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


def cycle_window(cycle: str) -> tuple[date, date]:
    """First and last day of a cycle like 2026H1, 2026Q4 or 2026."""
    span = cycle_span(cycle.strip())
    if span is None:
        raise InvalidInput("cycle", f"{cycle!r} is not a cycle like 2026H1, 2026Q4 or 'latest'")
    return span


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


def _kr_record(
    kr: KeyResult, goal: Goal, as_of: date, updates: list[ProgressUpdate], ever_updated: bool
) -> KeyResultRecord:
    current, measured_on = _measurement(kr, as_of, updates, ever_updated)
    start, end = _kr_span(kr, goal, measured_on)
    progress = _progress_pct(kr, current)
    expected = _elapsed_pct(start, end, measured_on)
    return KeyResultRecord(
        id=kr.kr_id,
        goal_title=goal.title,
        cycle=goal.cycle,
        title=kr.title,
        unit=kr.unit,
        direction=kr.direction,
        baseline=kr.baseline,
        target=kr.target,
        current=current,
        remaining=round(abs(kr.target - current), 2),
        due_date=kr.due_date,
        measured_on=measured_on,
        progress_pct=progress,
        expected_pct=expected,
        status=_kr_status(progress, expected),
        updates=[UpdateNote(date=u.date, value=u.value, note=u.note) for u in updates[-3:]],
    )


def _measurement(
    kr: KeyResult, as_of: date, updates: list[ProgressUpdate], ever_updated: bool
) -> tuple[float, date]:
    """The value a key result stands at and the day it was recorded on.

    The latest progress update within the person's tenure up to `as_of` is the measurement;
    a key result never updated has only its stored value, taken as of `as_of`; one whose
    updates all fall outside that span has nothing recorded in it, so it stands at baseline.
    """
    if updates:
        return updates[-1].value, updates[-1].date
    return (kr.current if not ever_updated else kr.baseline), as_of


def _kr_span(kr: KeyResult, goal: Goal, measured_on: date) -> tuple[date, date]:
    try:
        start, end = cycle_window(goal.cycle)
    except InvalidInput:
        start, end = measured_on - timedelta(days=90), measured_on + timedelta(days=90)
    return start, kr.due_date or end


def _elapsed_pct(start: date, end: date, day: date) -> int:
    """Share of the span from start to end that has passed on a day, percent."""
    return round(100 * min(1.0, max(0.0, (day - start).days / max(1, (end - start).days))))


def _progress_pct(kr: KeyResult, current: float) -> int:
    if kr.target == kr.baseline:
        return 100 if current == kr.target else 0
    return round(100 * (current - kr.baseline) / (kr.target - kr.baseline))


def _kr_status(progress: int, expected: int) -> Literal["done", "ahead", "on_track", "off_track"]:
    if progress >= 100:
        return "done"
    if expected - progress >= 15:
        return "off_track"
    if progress - expected >= 10:
        return "ahead"
    return "on_track"


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


class _Window(BaseModel):
    """What a snapshot draws on: its cycle, and the days its dated records may fall on.

    Every day lies within the person's tenure and no later than `as_of`.
    """

    cycle: str | None
    start: date
    end: date
    events_start: date
    hired: date | None
    as_of: date

    def in_tenure(self, day: date) -> bool:
        """Whether a day falls between the hire date and `as_of`."""
        return (self.hired is None or day >= self.hired) and day <= self.as_of


_CHECKIN_LIMIT: dict[CoachingKind, int] = {"checkin_topics": 4, "feedback": 8, "development": 6}
_EVENT_LIMIT = 8


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
    window = _window(session, subject, draft_kind, as_of, cycle)
    checkin_rows = _checkin_rows(session, employee_id, window)[: _CHECKIN_LIMIT[draft_kind]]
    event_rows = _event_rows(session, employee_id, window)[:_EVENT_LIMIT]
    people = employee_names(session, _people_referred_to(subject, checkin_rows, event_rows))
    reviews = _reviews(session, subject, window, draft_kind, lang)
    snapshot = Snapshot(
        draft_kind=draft_kind,
        lang=lang,
        as_of=as_of,
        cycle=window.cycle,
        review_cycle=reviews[0].cycle if reviews else None,
        profile=_profile(subject, as_of, people),
        key_results=_key_results(session, employee_id, window, draft_kind),
        checkins=[_checkin_record(c, people) for c in checkin_rows],
        reviews=reviews,
        events=[_event_record(e, subject, people) for e in event_rows],
        calendar=_calendar(as_of, window.cycle),
    )
    return _disambiguate(_flag_instructions(snapshot))


def _window(
    session: Session, subject: Employee, draft_kind: CoachingKind, as_of: date, cycle: str | None
) -> _Window:
    resolved: str | None = None
    if draft_kind == "feedback":
        latest = cycle in (None, "", "latest")
        resolved = _latest_cycle(session, subject, as_of) if latest else str(cycle)
        start, end = cycle_window(resolved)
        events_start = start
    elif draft_kind == "checkin_topics":
        start, end, events_start = as_of - timedelta(days=120), as_of, as_of - timedelta(days=180)
    else:
        start, end = as_of - timedelta(days=365), as_of
        events_start = start
    hired = subject.hire_date
    return _Window(
        cycle=resolved,
        start=_not_before(start, hired),
        end=min(end, as_of),
        events_start=_not_before(events_start, hired),
        hired=hired,
        as_of=as_of,
    )


def _not_before(day: date, hired: date | None) -> date:
    return max(day, hired) if hired is not None else day


def _latest_cycle(session: Session, subject: Employee, as_of: date) -> str:
    """The newest half-year up to `as_of` that holds any of the person's records."""
    halves = _halves_with_records(session, subject, as_of)
    if not halves:
        since = f"since their hire date {subject.hire_date}" if subject.hire_date else "at all"
        raise Conflict(
            f"{subject.employee_id} ({subject.name}) has no review score, goal with key results, "
            f"check-in or key event {since} up to {as_of}, in any cycle: "
            "nothing to ground a draft on"
        )
    return max(halves, key=lambda half: cycle_window(half)[0])


def _halves_with_records(session: Session, subject: Employee, as_of: date) -> set[str]:
    hired = subject.hire_date or date.min
    days = [
        day
        for table in (CheckIn, KeyEvent)
        for day in _days_recorded(session, table, subject.employee_id, hired, as_of)
    ]
    cycles = {
        *session.exec(
            select(ReviewScore.cycle).where(ReviewScore.employee_id == subject.employee_id)
        ).all(),
        *session.exec(
            select(Goal.cycle)
            .join(KeyResult, col(KeyResult.goal_id) == col(Goal.goal_id))
            .where(Goal.employee_id == subject.employee_id)
        ).all(),
    }
    halves = {half_of(day) for day in days}
    for cycle in cycles:
        span = cycle_span(cycle.strip())
        if span is not None and span[0] <= as_of and span[1] >= hired:
            halves.add(half_of(min(span[1], as_of)))
    return halves


def _days_recorded(
    session: Session,
    table: type[CheckIn] | type[KeyEvent],
    employee_id: str,
    since: date,
    until: date,
) -> list[date]:
    day = col(table.date)
    return list(
        session.exec(
            select(day).where(col(table.employee_id) == employee_id, day >= since, day <= until)
        ).all()
    )


def _checkin_rows(session: Session, employee_id: str, window: _Window) -> list[CheckIn]:
    return list(
        session.exec(
            select(CheckIn)
            .where(CheckIn.employee_id == employee_id)
            .where(col(CheckIn.date) >= window.start, col(CheckIn.date) <= window.end)
            .order_by(col(CheckIn.date).desc())
        ).all()
    )


def _event_rows(session: Session, employee_id: str, window: _Window) -> list[KeyEvent]:
    return list(
        session.exec(
            select(KeyEvent)
            .where(KeyEvent.employee_id == employee_id)
            .where(col(KeyEvent.date) >= window.events_start, col(KeyEvent.date) <= window.end)
            .order_by(col(KeyEvent.date).desc())
        ).all()
    )


def _people_referred_to(
    subject: Employee, checkins: list[CheckIn], events: list[KeyEvent]
) -> set[str]:
    ids = (subject.manager_id, *(c.manager_id for c in checkins), *(e.author_id for e in events))
    return {i for i in ids if i}


def _checkin_record(checkin: CheckIn, people: dict[str, str]) -> CheckInRecord:
    return CheckInRecord.model_validate(
        checkin,
        update={"id": checkin.checkin_id, "manager_name": people.get(checkin.manager_id or "")},
    )


def _event_record(event: KeyEvent, subject: Employee, people: dict[str, str]) -> EventRecord:
    return EventRecord(
        id=event.event_id,
        date=event.date,
        polarity=event.kind,
        description=event.description,
        impact=event.impact,
        author_name=people.get(event.author_id or ""),
        author_relation=_relation(event.author_id, subject),
    )


def _reviews(
    session: Session, subject: Employee, window: _Window, draft_kind: CoachingKind, lang: Lang
) -> list[ReviewRecord]:
    """The review scores of the cycles a draft of this kind looks at, newest cycle first."""
    rows = session.exec(
        select(ReviewScore).where(ReviewScore.employee_id == subject.employee_id)
    ).all()
    wanted = _review_cycles({r.cycle for r in rows}, window, draft_kind)
    return [
        _review_record(r, lang, window.hired)
        for r in sorted(rows, key=lambda r: (r.cycle, r.dimension), reverse=True)
        if r.cycle in wanted
    ]


def _review_cycles(cycles: set[str], window: _Window, draft_kind: CoachingKind) -> list[str]:
    # A cycle that ended before the hire date was not this person's to be reviewed on.
    eligible = sorted(
        (
            c for c in cycles
            if (span := cycle_span(c.strip())) is not None and span[0] <= window.as_of
            and (window.hired is None or span[1] >= window.hired)
        ),
        reverse=True,
    )  # fmt: skip
    if draft_kind == "feedback" and window.cycle in eligible:
        return [window.cycle]
    return eligible[:2] if draft_kind == "development" else eligible[:1]


def _review_record(row: ReviewScore, lang: Lang, hired: date | None) -> ReviewRecord:
    span = cycle_span(row.cycle.strip())
    return ReviewRecord(
        id=f"R-{row.id}",
        cycle=row.cycle,
        dimension=row.dimension,
        dimension_label=DIMENSION_LABELS.get(row.dimension, (row.dimension, row.dimension))[
            0 if lang == "zh" else 1
        ],
        score=row.score,
        comment=row.comment,
        joined_mid_cycle=hired is not None and span is not None and span[0] < hired,
    )


def _key_results(
    session: Session, employee_id: str, window: _Window, draft_kind: CoachingKind
) -> list[KeyResultRecord]:
    records = []
    for goal in session.exec(select(Goal).where(Goal.employee_id == employee_id)).all():
        if not _goal_in_scope(goal, draft_kind, window):
            continue
        for kr in session.exec(
            select(KeyResult)
            .where(KeyResult.goal_id == goal.goal_id)
            .order_by(col(KeyResult.kr_id))
        ).all():
            updates = _progress_updates(session, kr.kr_id)
            counted = [u for u in updates if window.in_tenure(u.date)]
            records.append(_kr_record(kr, goal, window.as_of, counted, bool(updates)))
    return records


def _progress_updates(session: Session, kr_id: str) -> list[ProgressUpdate]:
    return list(
        session.exec(
            select(ProgressUpdate)
            .where(ProgressUpdate.kr_id == kr_id)
            .order_by(col(ProgressUpdate.date))
        ).all()
    )


def _goal_in_scope(goal: Goal, draft_kind: CoachingKind, window: _Window) -> bool:
    span = cycle_span(goal.cycle.strip())
    if span is None:
        return goal.status == "active"
    g_start, g_end = span
    if g_start > window.as_of or (window.hired is not None and g_end < window.hired):
        return False
    if draft_kind == "feedback":
        return g_start <= window.end and g_end >= window.start
    return goal.status == "active" and g_end >= window.as_of - timedelta(days=30)


def _profile(subject: Employee, as_of: date, people: dict[str, str]) -> ProfileRecord:
    return ProfileRecord.model_validate(
        subject,
        update={
            "id": subject.employee_id,
            "tenure_months": _tenure_months(subject.hire_date, as_of),
            "manager_name": people.get(subject.manager_id or ""),
        },
    )


def _calendar(as_of: date, cycle: str | None) -> Calendar:
    cycle_end = cycle_window(cycle or half_of(as_of))[1]
    return Calendar(
        as_of=as_of,
        next_checkin=as_of + timedelta(days=14),
        month_end=month_end(as_of + timedelta(days=7)),
        cycle_end=max(cycle_end, as_of + timedelta(days=1)),
    )


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
