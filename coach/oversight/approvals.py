"""How people decide on AI drafts: per-kind and per-manager decision patterns, rubber stamps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.core.errors import InvalidInput
from coach.core.models import ApprovalRecord, Decision, Draft, User

RUBBER_STAMP_SECONDS = 30.0


class DecisionCounts(BaseModel):
    decided: int = 0
    as_is: int = 0
    edited: int = 0
    rejected: int = 0
    rubber_stamped: int = Field(
        default=0, description="Approved as is within the rubber-stamp window of creation."
    )
    as_is_share: float = 0.0
    edited_share: float = 0.0
    rejected_share: float = 0.0
    mean_edit_ratio: float = Field(default=0.0, description="Mean edit ratio of edited approvals.")


class KindDecisions(DecisionCounts):
    kind: str


class ManagerDecisions(DecisionCounts):
    reviewer: str
    reviewer_id: int
    employee_id: str | None
    kinds: list[KindDecisions]


class RubberStamp(BaseModel):
    draft_id: str
    kind: str
    employee_id: str
    reviewer: str
    seconds: float


class ApprovalReport(BaseModel):
    month: str | None
    rubber_stamp_seconds: float
    overall: DecisionCounts
    by_kind: list[KindDecisions]
    by_manager: list[ManagerDecisions]
    rubber_stamps: list[RubberStamp]


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


def is_rubber_stamp(draft: Draft, record: ApprovalRecord, window: float) -> bool:
    """Approved without a single edit within `window` seconds of the draft being made."""
    return record.decision == Decision.approve and seconds_to_decide(draft, record) <= window


def count(pairs: Iterable[tuple[Draft, ApprovalRecord]], window: float) -> DecisionCounts:
    """Decision counts and shares over (draft, decision) pairs."""
    result = DecisionCounts()
    ratios: list[float] = []
    for draft, record in pairs:
        result.decided += 1
        if record.decision == Decision.approve:
            result.as_is += 1
            result.rubber_stamped += is_rubber_stamp(draft, record, window)
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
) -> list[tuple[Draft, ApprovalRecord]]:
    """Every (draft, decision) pair, decided in [start, end) when given, oldest first."""
    query = select(Draft, ApprovalRecord).join(
        ApprovalRecord, col(ApprovalRecord.draft_id) == col(Draft.id)
    )
    if start is not None:
        query = query.where(col(ApprovalRecord.created_at) >= start)
    if end is not None:
        query = query.where(col(ApprovalRecord.created_at) < end)
    return list(session.exec(query.order_by(col(ApprovalRecord.id))).all())


def _by_kind(pairs: list[tuple[Draft, ApprovalRecord]], window: float) -> list[KindDecisions]:
    groups: dict[str, list[tuple[Draft, ApprovalRecord]]] = defaultdict(list)
    for draft, record in pairs:
        groups[draft.kind].append((draft, record))
    return [
        KindDecisions(kind=kind, **count(items, window).model_dump())
        for kind, items in sorted(groups.items())
    ]


def approval_report(
    session: Session,
    *,
    month: str | None = None,
    rubber_stamp_seconds: float = RUBBER_STAMP_SECONDS,
) -> ApprovalReport:
    """Per manager and per kind: the share approved as is, edited and rejected; rubber stamps."""
    start, end = month_bounds(month) if month else (None, None)
    pairs = decisions_in(session, start=start, end=end)
    users = {u.id: u for u in session.exec(select(User)).all()}
    by_reviewer: dict[int, list[tuple[Draft, ApprovalRecord]]] = defaultdict(list)
    for draft, record in pairs:
        by_reviewer[record.reviewer_id].append((draft, record))
    managers = []
    for reviewer_id, items in sorted(by_reviewer.items()):
        user = users.get(reviewer_id)
        managers.append(ManagerDecisions(
            reviewer=items[0][1].reviewer_name, reviewer_id=reviewer_id,
            employee_id=user.employee_id if user else None,
            kinds=_by_kind(items, rubber_stamp_seconds),
            **count(items, rubber_stamp_seconds).model_dump(),
        ))  # fmt: skip
    stamps = [
        RubberStamp(
            draft_id=draft.id,
            kind=draft.kind,
            employee_id=draft.employee_id,
            reviewer=record.reviewer_name,
            seconds=round(seconds_to_decide(draft, record), 1),
        )
        for draft, record in pairs
        if is_rubber_stamp(draft, record, rubber_stamp_seconds)
    ]
    return ApprovalReport(
        month=month,
        rubber_stamp_seconds=rubber_stamp_seconds,
        overall=count(pairs, rubber_stamp_seconds),
        by_kind=_by_kind(pairs, rubber_stamp_seconds),
        by_manager=managers,
        rubber_stamps=stamps,
    )
