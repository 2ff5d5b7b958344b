from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from coach.core import audit
from coach.core.audit import AuditEventsPublic, EventFilter, UtcDatetime
from coach.oversight import dialogue
from coach.oversight.approvals import READING_CHARS_PER_SECOND, ApprovalReport, approval_report
from coach.oversight.dialogue import DialogueAudit, DialogueNotePublic

from ..deps import Auditor, EngineDep, HRUser, PageDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Month = Annotated[
    str,
    Query(
        pattern=r"^(\d{4}-(0[1-9]|1[0-2])|latest)$",
        examples=["2026-10"],
        description="A calendar month; `latest` is the current one (UTC).",
    ),
]

_WITH_OFFSET = "ISO 8601 with a time zone, e.g. 2026-10-01T00:00:00+08:00 or …Z."


def _filters(
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: Annotated[UtcDatetime | None, Query(description=_WITH_OFFSET)] = None,
    until: Annotated[UtcDatetime | None, Query(description=_WITH_OFFSET)] = None,
) -> EventFilter:
    return EventFilter(
        actor=actor, action=action, object_type=object_type, object_id=object_id,
        since=since, until=until,
    )  # fmt: skip


Filters = Annotated[EventFilter, Depends(_filters)]


class NoteBody(BaseModel):
    note: str = Field(min_length=1, max_length=4000, description="HR's review of the record.")


_READ_ERRORS = error_responses(401, 403, 422)


@router.get("/events", response_model=AuditEventsPublic, responses=_READ_ERRORS)
def list_events(
    session: SessionDep, _: Auditor, filters: Filters, page: PageDep
) -> AuditEventsPublic:
    """Audit events, oldest first, filtered and a page at a time."""
    return audit.list_events(session, filters=filters, offset=page.offset, limit=page.limit)


@router.get(
    "/events/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}}},
        **error_responses(401, 403, 422, 503),
    },
)
def export_events(
    engine: EngineDep,
    user: Auditor,
    filters: Filters,
) -> StreamingResponse:
    """Audit events as JSON lines; the export itself is recorded."""
    lines = audit.export_events(engine, actor=user.label, filters=filters)
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit-events.jsonl"'},
    )


@router.get("/approvals", response_model=ApprovalReport, responses=_READ_ERRORS)
def approval_figures(
    session: SessionDep,
    _: HRUser,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    chars_per_second: Annotated[
        float, Query(gt=0, le=1000, description="Reading speed that still counts as reading.")
    ] = READING_CHARS_PER_SECOND,
) -> ApprovalReport:
    """Per manager and kind: shares approved as is, edited and rejected; rubber stamps."""
    return approval_report(session, month=month, chars_per_second=chars_per_second)


@router.get(
    "/dialogues", response_model=DialogueAudit, responses=error_responses(401, 403, 404, 422)
)
def dialogue_figures(
    session: SessionDep,
    _: HRUser,
    month: Month = "latest",
    sample_rate: Annotated[float, Query(gt=0, le=1)] = 0.1,
    min_per_manager: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> DialogueAudit:
    """The month's dialogue-quality audit: per-manager figures, a stratified sample, the trend."""
    return dialogue.dialogue_audit(
        session, month=month, sample_rate=sample_rate, min_per_manager=min_per_manager
    )


@router.post(
    "/dialogues/{checkin_id}/notes", response_model=DialogueNotePublic, status_code=201,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)  # fmt: skip
def add_note(
    checkin_id: str, body: NoteBody, session: SessionDep, user: HRUser
) -> DialogueNotePublic:
    """Attach an HR review note to a sampled check-in."""
    return dialogue.add_note(session, user, checkin_id=checkin_id, note=body.note)
