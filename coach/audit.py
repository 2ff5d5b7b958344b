"""Append-only audit log whose events are chained by hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from coach.hashing import content_hash
from coach.models import AuditEvent, utcnow

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


def _lock_chain(session: Session) -> None:
    # Two writers must not both extend the chain from the same predecessor.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(727001)"))  # type: ignore[call-overload]


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
    _lock_chain(session)
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
