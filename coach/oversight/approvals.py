"""How people decide on AI drafts: per-kind and per-manager decision patterns, rubber stamps.

A rubber stamp is a draft approved as is faster than it can be read. The time a reviewer
had for a draft is the shorter of the time since it was made and the time since their previous
decision: sixteen approvals two seconds apart, minutes after generation, had two seconds each.
Reading needs `len / READING_CHARS_PER_SECOND` seconds, at least `MIN_READING_SECONDS`; 25
characters a second is skimming Chinese text (careful reading runs near 8, about 500 a minute),
so anything faster was not read. `STREAK` or more stamps in a row by one reviewer are a streak.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.chains.names import strings
from coach.core.errors import InvalidInput
from coach.core.models import ApprovalRecord, Decision, Draft, Employee, User

READING_CHARS_PER_SECOND = 25.0
MIN_READING_SECONDS = 3.0
STREAK = 5


class DecisionCounts(BaseModel):
    decided: int = 0
    as_is: int = 0
    edited: int = 0
    rejected: int = 0
    rubber_stamped: int = Field(
        default=0, description="Approved as is faster than the draft can be read."
    )
    as_is_share: float = 0.0
    edited_share: float = 0.0
    rejected_share: float = 0.0
    mean_edit_ratio: float = Field(default=0.0, description="Mean edit ratio of edited approvals.")


class KindDecisions(DecisionCounts):
    kind: str


class ManagerDecisions(DecisionCounts):
    reviewer: str = Field(description="The approver's name as a person, else the account's.")
    account: str = Field(description="The account that decided.")
    reviewer_id: int
    employee_id: str | None
    kinds: list[KindDecisions]
    streaks: int = Field(description=f"Runs of {STREAK} or more rubber stamps in a row.")


class RubberStamp(BaseModel):
    draft_id: str
    kind: str
    employee_id: str
    reviewer: str
    chars: int = Field(description="Characters of text in the draft.")
    seconds: float = Field(
        description="Time the reviewer had: since creation or their last decision."
    )
    needed_seconds: float = Field(description="Time needed to read the draft at the stated speed.")


class Streak(BaseModel):
    reviewer: str
    draft_ids: list[str]
    start: datetime
    end: datetime


class ApprovalReport(BaseModel):
    month: str | None
    rule: str
    reading_chars_per_second: float
    overall: DecisionCounts
    by_kind: list[KindDecisions]
    by_manager: list[ManagerDecisions]
    rubber_stamps: list[RubberStamp]
    streaks: list[Streak]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a `YYYY-MM` month in UTC."""
    try:
        year, number = int(month[:4]), int(month[5:7])
        # Bounded so that the month after, and the trend's months before, are dates too.
        if len(month) != 7 or month[4] != "-" or not 1 <= number <= 12:
            raise ValueError(month)
        if not 1900 <= year <= 9998:
            raise ValueError(month)
    except ValueError as exc:
        raise InvalidInput(
            "month", f"{month!r} is not a month like 2026-10 (years 1900 to 9998)"
        ) from exc
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def seconds_to_decide(draft: Draft, record: ApprovalRecord) -> float:
    """Seconds between a draft's creation and the decision on it."""
    return (_aware(record.created_at) - _aware(draft.created_at)).total_seconds()


def draft_chars(draft: Draft) -> int:
    """Characters of text the reviewer had to read in a draft."""
    return sum(len(text) for text in strings(draft.output))


Pair = tuple[Draft, ApprovalRecord]


def rubber_stamps(pairs: list[Pair], chars_per_second: float) -> dict[int, RubberStamp]:
    """The approvals, by record id, given less time than reading the draft needs."""
    previous: dict[int, datetime] = {}
    found: dict[int, RubberStamp] = {}
    for draft, record in sorted(pairs, key=lambda p: (_aware(p[1].created_at), p[1].id or 0)):
        decided = _aware(record.created_at)
        had = seconds_to_decide(draft, record)
        if record.reviewer_id in previous:
            had = min(had, (decided - previous[record.reviewer_id]).total_seconds())
        previous[record.reviewer_id] = decided
        chars = draft_chars(draft)
        needed = max(MIN_READING_SECONDS, chars / chars_per_second)
        if record.decision == Decision.approve and had < needed and record.id is not None:
            found[record.id] = RubberStamp(
                draft_id=draft.id, kind=draft.kind, employee_id=draft.employee_id,
                reviewer=record.reviewer_name, chars=chars, seconds=round(had, 1),
                needed_seconds=round(needed, 1),
            )  # fmt: skip
    return found


def count(pairs: Iterable[Pair], stamped: Iterable[int] = ()) -> DecisionCounts:
    """Decision counts and shares over (draft, decision) pairs; `stamped` are rubber stamps."""
    stamps = set(stamped)
    result = DecisionCounts()
    ratios: list[float] = []
    for _, record in pairs:
        result.decided += 1
        if record.decision == Decision.approve:
            result.as_is += 1
            result.rubber_stamped += record.id in stamps
        elif record.decision == Decision.edit:
            result.edited += 1
            ratios.append(record.edit_ratio)
        else:
            result.rejected += 1
    if result.decided:
        result.as_is_share = round(result.as_is / result.decided, 4)
        result.edited_share = round(result.edited / result.decided, 4)
        result.rejected_share = round(result.rejected / result.decided, 4)
    result.mean_edit_ratio = round(sum(ratios) / len(ratios), 4) if ratios else 0.0
    return result


def decisions_in(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> list[Pair]:
    """Every (draft, decision) pair, decided in [start, end) when given, oldest first."""
    query = select(Draft, ApprovalRecord).join(
        ApprovalRecord, col(ApprovalRecord.draft_id) == col(Draft.id)
    )
    if start is not None:
        query = query.where(col(ApprovalRecord.created_at) >= start)
    if end is not None:
        query = query.where(col(ApprovalRecord.created_at) < end)
    return list(session.exec(query.order_by(col(ApprovalRecord.id))).all())


def stamps_in(
    session: Session, *, start: datetime | None, end: datetime | None, chars_per_second: float
) -> dict[int, RubberStamp]:
    """Rubber stamps decided in [start, end), each reviewer's previous decision considered."""
    # A day before the start is enough: no draft needs a day to be read.
    earlier = start - timedelta(days=1) if start is not None else None
    return rubber_stamps(decisions_in(session, start=earlier, end=end), chars_per_second)


def _by_kind(pairs: list[Pair], stamped: set[int]) -> list[KindDecisions]:
    groups: dict[str, list[Pair]] = defaultdict(list)
    for draft, record in pairs:
        groups[draft.kind].append((draft, record))
    return [
        KindDecisions(kind=kind, **count(items, stamped).model_dump())
        for kind, items in sorted(groups.items())
    ]


def _streaks(pairs: list[Pair], stamped: set[int], names: dict[int, str]) -> list[Streak]:
    by_reviewer: dict[int, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_reviewer[pair[1].reviewer_id].append(pair)
    streaks: list[Streak] = []
    for reviewer_id, items in sorted(by_reviewer.items()):
        runs: list[list[Pair]] = [[]]
        for pair in sorted(items, key=lambda p: _aware(p[1].created_at)):
            if pair[1].id in stamped:
                runs[-1].append(pair)
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if len(run) >= STREAK:
                streaks.append(Streak(
                    reviewer=names.get(reviewer_id, run[0][1].reviewer_name),
                    draft_ids=[d.id for d, _ in run], start=run[0][1].created_at,
                    end=run[-1][1].created_at,
                ))  # fmt: skip
    return streaks


def person_names(session: Session) -> dict[int, str]:
    """Account id → the name of the person the account belongs to, where it is linked."""
    people = {e.employee_id: e.name for e in session.exec(select(Employee)).all()}
    return {
        u.id: people[u.employee_id]
        for u in session.exec(select(User)).all()
        if u.id is not None and u.employee_id in people
    }


def approval_report(
    session: Session,
    *,
    month: str | None = None,
    chars_per_second: float = READING_CHARS_PER_SECOND,
) -> ApprovalReport:
    """Per manager and per kind: the share approved as is, edited and rejected; rubber stamps."""
    start, end = month_bounds(month) if month else (None, None)
    pairs = decisions_in(session, start=start, end=end)
    found = stamps_in(session, start=start, end=end, chars_per_second=chars_per_second)
    stamps = {i: s for i, s in found.items() if i in {r.id for _, r in pairs}}
    stamped = set(stamps)
    users = {u.id: u for u in session.exec(select(User)).all()}
    names = person_names(session)
    by_reviewer: dict[int, list[Pair]] = defaultdict(list)
    for draft, record in pairs:
        by_reviewer[record.reviewer_id].append((draft, record))
    managers = []
    for reviewer_id, items in sorted(by_reviewer.items()):
        user = users.get(reviewer_id)
        account = items[0][1].reviewer_name
        managers.append(ManagerDecisions(
            reviewer=names.get(reviewer_id, account), account=account, reviewer_id=reviewer_id,
            employee_id=user.employee_id if user else None, kinds=_by_kind(items, stamped),
            streaks=len(_streaks(items, stamped, names)), **count(items, stamped).model_dump(),
        ))  # fmt: skip
    reviewer_of = {r.id: r.reviewer_id for _, r in pairs}
    for record_id, stamp in stamps.items():
        stamp.reviewer = names.get(reviewer_of[record_id], stamp.reviewer)
    return ApprovalReport(
        month=month,
        rule=(
            f"原样通过且审阅时间（距草稿生成与距本人上一次决定，取较短者）少于"
            f"“字数 ÷ {chars_per_second:g} 字/秒”（至少 {MIN_READING_SECONDS:g} 秒）即为橡皮图章；"
            f"同一审批人连续 {STREAK} 次以上为连续橡皮图章。"
        ),
        reading_chars_per_second=chars_per_second,
        overall=count(pairs, stamped),
        by_kind=_by_kind(pairs, stamped),
        by_manager=managers,
        rubber_stamps=list(stamps.values()),
        streaks=_streaks(pairs, stamped, names),
    )
