"""Check-in records: creating one, and the stored vague-comment check on the manager's feedback."""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlmodel import Session
from sqlmodel._compat import SQLModelConfig

from coach.core.audit import record_event
from coach.core.errors import Forbidden, InvalidInput
from coach.core.models import CheckIn, CheckInNotes, new_id
from coach.org.access import manages
from coach.org.users import Principal
from coach.quality import check_comment


def annotate_feedback(checkin: CheckIn) -> None:
    """Run the vague-comment check on a check-in's manager feedback and keep the result on it."""
    text = checkin.manager_feedback.strip()
    checkin.feedback_check = check_comment(text).model_dump(mode="json") if text else None


class CheckInCreate(CheckInNotes):
    """A check-in as a manager writes it down after the conversation."""

    # Caps every note; the id below keeps its own, tighter limit.
    model_config = SQLModelConfig(str_max_length=5000)

    employee_id: str = Field(min_length=1, max_length=64)
    date: dt.date


def create_checkin(session: Session, principal: Principal, data: CheckInCreate) -> CheckIn:
    """Record a check-in for a report, with its feedback checked and an audit event."""
    if not manages(session, principal, data.employee_id):
        raise Forbidden(f"only a manager above {data.employee_id!r} records their check-ins")
    if not (data.progress.strip() or data.manager_feedback.strip()):
        raise InvalidInput("progress", "a check-in needs at least the progress or the feedback")
    checkin = CheckIn(
        checkin_id=f"C-{data.employee_id}-{data.date:%Y%m%d}-{new_id()[:6]}",
        manager_id=principal.employee_id,
        **data.model_dump(),
    )
    annotate_feedback(checkin)
    session.add(checkin)
    session.flush()
    record_event(
        session, actor=principal.label, action="create", object_type="checkin",
        object_id=checkin.checkin_id, after=checkin.model_dump(mode="json"),
        detail={"employee_id": data.employee_id, "vague": (checkin.feedback_check or {}).get("vague")},
    )  # fmt: skip
    return checkin
