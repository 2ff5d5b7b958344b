"""Append-only audit log whose events are chained by hash.

Events carry hashes of the content before and after a change, never the content itself, so
a person's data can be erased without rewriting (and so breaking) the chain. The database
refuses UPDATE and DELETE on the table (migration 0003) and a unique index on `prev_hash`
makes a fork impossible; `verify_chain` finds rows changed, removed or reordered by someone
who went around both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from coach.core.db import session_scope
from coach.core.hashing import content_hash
from coach.core.models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64


def event_hash(event: AuditEvent) -> str:
    """The hash an event must carry, given its content and its predecessor's hash."""
    return content_hash(
        {
            "prev": event.prev_hash,
            "ts": event.ts.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "before": event.before_hash,
            "after": event.after_hash,
            "detail": event.detail,
        }
    )


def lock_chain(session: Session) -> None:
    """Take, for the rest of the transaction, the lock that orders appends to the chain."""
    # Two writers must not both extend the chain from the same predecessor, so the write
    # lock is taken *before* the tip is read.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(727001)"))  # type: ignore[call-overload]
    elif dialect == "sqlite":
        connection = session.connection()
        dbapi = connection.connection.dbapi_connection
        # pysqlite opens a transaction lazily, at the first INSERT/UPDATE/DELETE. Until then a
        # read sees whatever tip is committed, so take the write lock now (BEGIN IMMEDIATE).
        # Once a transaction is open, this session has written and already holds the lock.
        if dbapi is not None and not dbapi.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction."""
    lock_chain(session)
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    event = AuditEvent(
        ts=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before_hash=content_hash(before) if before is not None else None,
        after_hash=content_hash(after) if after is not None else None,
        detail=detail or {},
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


# --- verification -----------------------------------------------------------------------


class ChainProblem(BaseModel):
    """One place where the stored chain differs from what was written."""

    event_id: int
    kind: Literal["changed", "removed", "reordered", "truncated"]
    message: str


class ChainReport(BaseModel):
    events: int
    tip: str = Field(
        description="Hash of the newest event; keep it elsewhere to detect truncation."
    )
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        """Whether the chain verified without a problem."""
        return not self.problems


def verify_chain(session: Session, *, expected_tip: str | None = None) -> ChainReport:
    """Recompute every hash and link, naming each event that was changed, removed or moved."""
    events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
    position = {e.hash: i for i, e in enumerate(events)}
    problems: list[ChainProblem] = []
    for i, event in enumerate(events):
        event_id = event.id or 0
        if event_hash(event) != event.hash:
            problems.append(ChainProblem(
                event_id=event_id, kind="changed",
                message=f"事件 {event_id} 的内容与其哈希不符:该事件被修改过",
            ))  # fmt: skip
        previous = events[i - 1] if i else None
        expected_prev = previous.hash if previous else GENESIS_HASH
        if event.prev_hash == expected_prev:
            continue
        found = position.get(event.prev_hash)
        if found is not None and found != i - 1:
            problems.append(ChainProblem(
                event_id=event_id, kind="reordered",
                message=f"事件 {event_id} 应接在事件 {events[found].id} 之后:事件顺序被调换",
            ))  # fmt: skip
        elif (
            previous is not None
            and event.prev_hash != GENESIS_HASH
            and (previous.id or 0) + 1 == event_id
        ):
            if not any(p.event_id == previous.id for p in problems):
                problems.append(ChainProblem(
                    event_id=previous.id or 0, kind="changed",
                    message=f"事件 {previous.id} 被修改并重新计算了哈希:事件 {event_id} 的前序哈希对不上",
                ))  # fmt: skip
        else:
            gap = f"(编号 {previous.id}..{event_id} 之间)" if previous else "(链的开头)"
            problems.append(ChainProblem(
                event_id=event_id, kind="removed",
                message=f"事件 {event_id} 之前的事件被删除{gap}:前序哈希找不到对应事件",
            ))  # fmt: skip
    tip = events[-1].hash if events else GENESIS_HASH
    if expected_tip and expected_tip != tip and expected_tip not in position:
        last_id = events[-1].id or 0 if events else 0
        problems.append(ChainProblem(
            event_id=last_id, kind="truncated",
            message=f"记录的链尾哈希 {expected_tip[:12]}… 不在日志中:事件 {last_id} 之后的事件被删除",
        ))  # fmt: skip
    return ChainReport(events=len(events), tip=tip, problems=problems)


# --- reading and export -----------------------------------------------------------------


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ts: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before_hash: str | None
    after_hash: str | None
    detail: dict[str, Any] = Field(
        description="Facts about the event, by action: ids, kinds, figures and hashes; never"
        " free text, so erasing a person leaves the chain intact."
    )
    prev_hash: str
    hash: str


class AuditEventsPublic(BaseModel):
    data: list[AuditEventPublic]
    count: int


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is past the dates that can be stored (years 1 to 9999 in UTC)") from None


# Naive times are refused rather than guessed: UTC and the company's local time are hours
# apart, and an audit query must not silently miss those hours.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class EventFilter(BaseModel):
    """Which events to list or export; every field narrows the set."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None


def _clauses(filters: EventFilter) -> list[Any]:
    clauses: list[Any] = []
    for name in ("actor", "action", "object_type", "object_id"):
        value = getattr(filters, name)
        if value:
            clauses.append(getattr(AuditEvent, name) == value)
    if filters.since:
        clauses.append(col(AuditEvent.ts) >= filters.since)
    if filters.until:
        clauses.append(col(AuditEvent.ts) < filters.until)
    return clauses


def list_events(
    session: Session, *, filters: EventFilter, offset: int = 0, limit: int = 100
) -> AuditEventsPublic:
    """A page of events, oldest first, with the total count of the filtered set."""
    clauses = _clauses(filters)
    rows = session.exec(
        select(AuditEvent).where(*clauses).order_by(col(AuditEvent.id)).offset(offset).limit(limit)
    ).all()
    count = session.exec(select(func.count()).select_from(AuditEvent).where(*clauses)).one()
    return AuditEventsPublic(data=[AuditEventPublic.model_validate(r) for r in rows], count=count)


def export_events(
    engine: Engine, *, actor: str, filters: EventFilter, batch: int = 500
) -> Iterator[str]:
    """Record the export, then yield the filtered events as JSON lines, oldest first."""
    # The export counts as done once it starts, so its record commits before the first line.
    with session_scope(engine) as session:
        record_event(
            session, actor=actor, action="export", object_type="audit_events", object_id="*",
            detail={"filters": filters.model_dump(mode="json", exclude_none=True)},
        )  # fmt: skip
    clauses = _clauses(filters)

    def after(last_id: int) -> tuple[list[str], int]:
        # A short session per batch: a slow reader holds no connection between batches.
        with Session(engine) as session:
            rows = session.exec(
                select(AuditEvent).where(*clauses, col(AuditEvent.id) > last_id)
                .order_by(col(AuditEvent.id)).limit(batch)
            ).all()  # fmt: skip
            lines = [AuditEventPublic.model_validate(r).model_dump_json() + "\n" for r in rows]
            return lines, (rows[-1].id or 0) if rows else last_id

    # The first batch is read now, before the caller starts a response: a query that fails
    # must fail as an error, not as a stream cut off after its 200.
    first = after(0)

    def lines() -> Iterator[str]:
        chunk, last_id = first
        while chunk:
            yield from chunk
            chunk, last_id = after(last_id)

    return lines()
