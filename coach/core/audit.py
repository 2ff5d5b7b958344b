"""Append-only audit log whose events are chained by hash, one chain per object.

Events carry hashes of the content before and after a change, never the content itself, so
a person's data can be erased without rewriting (and so breaking) the chain.

Three kinds of link let `verify_chain` name events changed, removed, moved or cut off:
- Each event extends the chain of its object (`object_type:object_id`): it carries the hash
  of that object's previous event and its place in the chain (`seq`). A writer locks only its
  chain, so writers of different objects never wait for each other; unique indexes on
  (chain, prev_hash) and (chain, seq) make a fork impossible.
- Each event also names, by id and hash, the newest event its writer could see in any chain
  (its witness), read without a lock. The chains are tied together: an event edited with its
  hash recomputed, deleted or given another id is betrayed by a later event of any object.
- A seal (`seal_chain`) records the tip of every chain changed since the previous seal, and
  seals chain to each other one after another. The newest events, which no later event names
  yet, are anchored by the next seal: a chain cut short after its sealed tip is reported as
  truncated. The API seals every COACH_AUDIT_SEAL_INTERVAL seconds; `coach audit seal` and a
  clean `coach audit verify` seal too.

The database refuses UPDATE and DELETE on events and seals (migrations 0003 and 0010).
Events written before revision 0010 form one legacy chain (chain "", no seq), in id order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from coach.core.db import WRITE_LOCKS, session_scope, write_lock
from coach.core.hashing import content_hash
from coach.core.models import AuditEvent, AuditSeal, utcnow

GENESIS_HASH = "0" * 64
LEGACY_CHAIN = ""

# PostgreSQL advisory lock held by the one sealer at work (tried, never waited for).
_SEALER_LOCK = 727003
# How long a seal waits for writers that were in flight when it began, before giving up
# until the next one.
SEAL_WAIT_S = 10.0


def chain_key(object_type: str, object_id: str) -> str:
    """The chain that events about this object extend."""
    return f"{object_type}:{object_id}"


def event_hash(event: AuditEvent) -> str:
    """The hash an event must carry, given its content and the hashes it links to."""
    content: dict[str, Any] = {
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
    if event.seq is not None:  # legacy events were hashed before chains had keys and places
        content |= {
            "chain": event.chain,
            "seq": event.seq,
            "witness": [event.witness_id, event.witness_hash],
        }
    return content_hash(content)


def seal_hash(seal: AuditSeal) -> str:
    """The hash a seal must carry, given what it anchors and its predecessor's hash."""
    return content_hash(
        {
            "prev": seal.prev_hash,
            "ts": seal.ts.isoformat(),
            "through": seal.through_id,
            "tips": seal.tips,
        }
    )


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
    """Append an event to its object's chain inside the caller's transaction."""
    chain = chain_key(object_type, object_id)
    # Two writers must not both extend a chain from the same predecessor, so the chain's lock
    # is taken *before* its tip is read. The witness needs no lock: any visible event will do.
    write_lock(session, f"audit:{chain}")
    last = session.exec(
        select(AuditEvent).where(AuditEvent.chain == chain)
        .order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()  # fmt: skip
    witness = session.exec(
        select(AuditEvent.id, AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    event = AuditEvent(
        ts=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before_hash=content_hash(before) if before is not None else None,
        after_hash=content_hash(after) if after is not None else None,
        detail=detail or {},
        chain=chain,
        seq=(last.seq or 0) + 1 if last else 1,
        prev_hash=last.hash if last else GENESIS_HASH,
        witness_id=witness[0] if witness else None,
        witness_hash=witness[1] if witness else None,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


# --- seals ------------------------------------------------------------------------------


class SealPublic(BaseModel):
    """A seal just written: up to which event it covers and how many chain tips it anchors."""

    id: int
    through_id: int
    chains: int
    hash: str


def _claim_sealer(session: Session) -> bool:
    """Whether this transaction is now the only sealer; False if another one is at work."""
    if session.get_bind().dialect.name == "postgresql":
        claimed = session.connection().execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SEALER_LOCK}
        )
        return bool(claimed.scalar())
    write_lock(session, "audit:seal")  # SQLite: one writer at a time anyway
    return True


def _writers_settled(session: Session, *, wait_s: float) -> bool:
    """Whether every writer that may hold an unseen event id below the newest one has ended.

    PostgreSQL hands out ids at insert and makes them visible at commit, so an event with a
    lower id than the newest committed one may still be on its way. Its writer holds a chain
    lock (taken before its id), so waiting for the holders seen now settles every lower id.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: the sealer holds the write lock, no writer is in flight
    connection = session.connection()
    holders = list(
        connection.execute(
            text(
                "SELECT DISTINCT virtualtransaction FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid::bigint = :space AND objsubid = 2 AND granted "
                "AND pid <> pg_backend_pid()"
            ),
            {"space": WRITE_LOCKS},
        ).scalars()
    )
    deadline = time.monotonic() + wait_s
    while holders:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
        holders = list(
            connection.execute(
                text(
                    "SELECT DISTINCT virtualxid FROM pg_locks WHERE locktype = 'virtualxid' "
                    "AND virtualxid = ANY(:holders)"
                ),
                {"holders": holders},
            ).scalars()
        )
    return True


def seal_chain(engine: Engine, *, wait_s: float = SEAL_WAIT_S) -> SealPublic | None:
    """Anchor the tip of every chain changed since the last seal, in a transaction of its own.

    None when there is nothing new, another sealer is at work, or writers in flight did not
    finish within `wait_s` seconds (the next seal covers their events).
    """
    with session_scope(engine) as session:
        if not _claim_sealer(session):
            return None
        last = session.exec(select(AuditSeal).order_by(col(AuditSeal.id).desc()).limit(1)).first()
        low = last.through_id if last else 0
        # Read before looking for writers in flight: any event id below this one was handed
        # out to a writer that already held its lock.
        high = session.exec(select(func.max(AuditEvent.id))).one()
        if high is None or high <= low or not _writers_settled(session, wait_s=wait_s):
            return None
        rows = session.exec(
            select(AuditEvent.chain, AuditEvent.id, AuditEvent.hash)
            .where(col(AuditEvent.id) > low, col(AuditEvent.id) <= high)
            .order_by(col(AuditEvent.id))
        ).all()  # fmt: skip
        tips: dict[str, list[Any]] = {chain: [event_id, hash_] for chain, event_id, hash_ in rows}
        seal = AuditSeal(
            through_id=high, tips=tips, prev_hash=last.hash if last else GENESIS_HASH, hash=""
        )
        seal.hash = seal_hash(seal)
        session.add(seal)
        session.flush()
        return SealPublic(id=seal.id or 0, through_id=high, chains=len(tips), hash=seal.hash)


# --- verification -----------------------------------------------------------------------


class ChainProblem(BaseModel):
    """One place where the stored chain differs from what was written."""

    event_id: int = Field(description="The event concerned (for a seal: the last it covers).")
    kind: Literal["changed", "removed", "reordered", "truncated"]
    message: str
    seal_id: int | None = Field(default=None, description="Set when the problem is in a seal.")


class ChainReport(BaseModel):
    events: int
    tip: str = Field(
        description="Hash of the newest event; keep it elsewhere to detect truncation."
    )
    sealed_through: int = Field(
        default=0, description="The newest event the latest seal covers (0: never sealed)."
    )
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        """Whether the chain verified without a problem."""
        return not self.problems


class _Findings:
    """Problems found so far, each (place, kind) once."""

    def __init__(self) -> None:
        self.problems: list[ChainProblem] = []
        self._seen: set[tuple[int | None, int, str]] = set()
        self._events: set[int] = set()

    def has(self, event_id: int) -> bool:
        """Whether a problem with this event (not a seal) was already found."""
        return event_id in self._events

    def add(self, event_id: int, kind: str, message: str, *, seal_id: int | None = None) -> None:
        if (seal_id, event_id, kind) not in self._seen:
            self._seen.add((seal_id, event_id, kind))
            if seal_id is None:
                self._events.add(event_id)
            self.problems.append(
                ChainProblem(event_id=event_id, kind=kind, message=message, seal_id=seal_id)  # type: ignore[arg-type]
            )


def _check_legacy(events: list[AuditEvent], found: _Findings) -> None:
    """The events before per-object chains: one chain in id order, as they were written."""
    position = {e.hash: i for i, e in enumerate(events)}
    for i, event in enumerate(events):
        event_id = event.id or 0
        previous = events[i - 1] if i else None
        expected_prev = previous.hash if previous else GENESIS_HASH
        if event.prev_hash == expected_prev:
            continue
        at = position.get(event.prev_hash)
        if at is not None and at != i - 1:
            found.add(event_id, "reordered",
                      f"事件 {event_id} 应接在事件 {events[at].id} 之后:事件顺序被调换")  # fmt: skip
        elif (
            previous is not None
            and event.prev_hash != GENESIS_HASH
            and (previous.id or 0) + 1 == event_id
        ):
            if not found.has(previous.id or 0):
                found.add(previous.id or 0, "changed",
                          f"事件 {previous.id} 被修改并重新计算了哈希:事件 {event_id} 的前序哈希对不上")  # fmt: skip
        else:
            gap = f"(编号 {previous.id}..{event_id} 之间)" if previous else "(链的开头)"
            found.add(event_id, "removed",
                      f"事件 {event_id} 之前的事件被删除{gap}:前序哈希找不到对应事件")  # fmt: skip


def _check_object_chain(chain: str, events: list[AuditEvent], found: _Findings) -> None:
    """One object's events, in id order: each follows the one before it, place by place."""
    position = {e.hash: i for i, e in enumerate(events)}
    for i, event in enumerate(events):
        event_id = event.id or 0
        previous = events[i - 1] if i else None
        expected_seq = (previous.seq or 0) + 1 if previous else 1
        expected_prev = previous.hash if previous else GENESIS_HASH
        if event.prev_hash == expected_prev and event.seq == expected_seq:
            continue
        at = position.get(event.prev_hash)
        if (at is not None and at != i - 1) or (event.seq or 0) < expected_seq:
            after = f"事件 {events[at].id}" if at is not None else "更早的事件"
            found.add(event_id, "reordered",
                      f"事件 {event_id} 应接在{after}之后({chain}):事件顺序被调换")  # fmt: skip
        elif previous is not None and event.seq == expected_seq:
            if not found.has(previous.id or 0):
                found.add(previous.id or 0, "changed",
                          f"事件 {previous.id} 被修改并重新计算了哈希:事件 {event_id} 的前序哈希对不上")  # fmt: skip
        else:
            gap = f"(编号 {previous.id}..{event_id} 之间)" if previous else "(链的开头)"
            found.add(event_id, "removed",
                      f"{chain} 中事件 {event_id} 之前的事件被删除{gap}:前序哈希找不到对应事件")  # fmt: skip


def _check_witnesses(
    events: list[AuditEvent], by_id: dict[int, AuditEvent], by_hash: dict[str, AuditEvent],
    found: _Findings,
) -> None:  # fmt: skip
    """Each event's witness is where, and what, its writer saw: an earlier event."""
    for event in events:
        if event.witness_id is None or event.witness_hash is None:
            continue
        event_id = event.id or 0
        target = by_hash.get(event.witness_hash)
        if target is not None:
            target_id = target.id or 0
            if target_id != event.witness_id:
                found.add(target_id, "reordered",
                          f"事件 {target_id} 原本的编号是 {event.witness_id}(见事件 {event_id}):事件顺序被调换")  # fmt: skip
            if target_id >= event_id:
                found.add(event_id, "reordered",
                          f"事件 {event_id} 应在事件 {target_id} 之后:事件顺序被调换")  # fmt: skip
        elif event.witness_id in by_id:
            if not found.has(event.witness_id):
                found.add(event.witness_id, "changed",
                          f"事件 {event.witness_id} 被修改并重新计算了哈希:事件 {event_id} 记下的哈希对不上")  # fmt: skip
        else:
            found.add(event_id, "removed",
                      f"事件 {event_id} 之前的事件 {event.witness_id} 被删除:它记下的事件找不到")  # fmt: skip


def _check_seals(
    seals: list[AuditSeal], chains: dict[str, list[AuditEvent]], by_id: dict[int, AuditEvent],
    by_hash: dict[str, AuditEvent], found: _Findings,
) -> None:  # fmt: skip
    """Seals follow each other, and every chain still reaches the tip its last seal saw."""
    position = {s.hash: i for i, s in enumerate(seals)}
    sealed: dict[str, tuple[int, str, int]] = {}
    for i, seal in enumerate(seals):
        seal_id = seal.id or 0
        if seal_hash(seal) != seal.hash:
            found.add(seal.through_id, "changed", f"封印 {seal_id} 的内容与其哈希不符:封印被修改过",
                      seal_id=seal_id)  # fmt: skip
        expected_prev = seals[i - 1].hash if i else GENESIS_HASH
        if seal.prev_hash != expected_prev:
            at = position.get(seal.prev_hash)
            kind = "reordered" if at is not None else "removed"
            found.add(seal.through_id, kind, f"封印 {seal_id} 的前序封印对不上:封印被删除或调换",
                      seal_id=seal_id)  # fmt: skip
        for chain, (event_id, hash_) in seal.tips.items():
            sealed[chain] = (int(event_id), str(hash_), seal_id)
    for chain, (event_id, hash_, seal_id) in sealed.items():
        event = by_hash.get(hash_)
        if event is not None and event.chain == chain:
            if event.id != event_id:
                found.add(event.id or 0, "reordered",
                          f"事件 {event.id} 在封印 {seal_id} 中的编号是 {event_id}:事件顺序被调换")  # fmt: skip
            continue
        at_place = by_id.get(event_id)
        if at_place is not None and at_place.chain == chain:
            if not found.has(event_id):
                found.add(event_id, "changed",
                          f"事件 {event_id} 被修改并重新计算了哈希:与封印 {seal_id} 记下的不符")  # fmt: skip
            continue
        members = chains.get(chain, [])
        if any((m.id or 0) > event_id for m in members):
            continue  # later events of the chain remain: their links name the removal
        last_id = members[-1].id or 0 if members else event_id
        found.add(last_id, "truncated",
                  f"封印 {seal_id} 记下 {chain or '早期链'} 的末尾事件 {event_id},它已不在日志中:该链末尾的事件被删除")  # fmt: skip


def verify_chain(session: Session, *, expected_tip: str | None = None) -> ChainReport:
    """Recompute every hash and link, naming each event that was changed, removed or moved.

    `expected_tip` is a hash kept elsewhere (an event's or a seal's): if it is gone from the
    log, the log was cut short after it.
    """
    events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
    seals = list(session.exec(select(AuditSeal).order_by(col(AuditSeal.id))).all())
    by_id = {e.id or 0: e for e in events}
    by_hash = {e.hash: e for e in events}
    found = _Findings()
    for event in events:
        if event_hash(event) != event.hash:
            found.add(event.id or 0, "changed",
                      f"事件 {event.id} 的内容与其哈希不符:该事件被修改过")  # fmt: skip
    chains: dict[str, list[AuditEvent]] = {}
    for event in events:
        chains.setdefault(event.chain, []).append(event)
    for chain, members in chains.items():
        if chain == LEGACY_CHAIN:
            _check_legacy(members, found)
        else:
            _check_object_chain(chain, members, found)
    _check_witnesses(events, by_id, by_hash, found)
    _check_seals(seals, chains, by_id, by_hash, found)
    tip = events[-1].hash if events else GENESIS_HASH
    known = by_hash.keys() | {s.hash for s in seals}
    if expected_tip and expected_tip != tip and expected_tip not in known:
        last_id = events[-1].id or 0 if events else 0
        found.add(last_id, "truncated",
                  f"记录的链尾哈希 {expected_tip[:12]}… 不在日志中:事件 {last_id} 之后的事件被删除")  # fmt: skip
    sealed_through = seals[-1].through_id if seals else 0
    return ChainReport(
        events=len(events), tip=tip, sealed_through=sealed_through, problems=found.problems
    )


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


def event_actors(session: Session) -> list[str]:
    """Everyone who has an event in the log, by their actor label, for choosing one."""
    rows = session.exec(select(AuditEvent.actor).distinct().order_by(col(AuditEvent.actor)))
    return list(rows.all())


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
