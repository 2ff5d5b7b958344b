from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import MAX_OFFSET, CurrentUser, SessionDep
from coach import drafts
from coach.drafts import DraftPublic, DraftsPublic
from coach.gating import DraftReceipt
from coach.models import DraftStatus

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])


class ApproveBody(BaseModel):
    content: dict[str, Any] | None = Field(
        default=None, description="The edited output; omit to approve the draft as it is."
    )
    note: str = Field(default="", max_length=2000)


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the draft is rejected.")


@router.get("", response_model=DraftsPublic)
def list_drafts(
    session: SessionDep,
    user: CurrentUser,
    status: DraftStatus | None = DraftStatus.pending,
    kind: str | None = None,
    employee_id: str | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DraftsPublic:
    """My inbox: drafts about the people I manage (HR: all), newest first."""
    rows, count = drafts.list_drafts(
        session, user, status=status, kind=kind, employee_id=employee_id, offset=offset,
        limit=limit,
    )  # fmt: skip
    return DraftsPublic(data=[drafts.to_public(session, d) for d in rows], count=count)


@router.get("/{draft_id}", response_model=DraftPublic | DraftReceipt)
def get_draft(draft_id: str, session: SessionDep, user: CurrentUser) -> DraftPublic | DraftReceipt:
    """A draft with its inputs, output, provenance and decisions (its requester: a receipt)."""
    return drafts.read_draft(session, user, draft_id)


@router.post("/{draft_id}/approve", response_model=DraftPublic)
def approve_draft(
    draft_id: str, session: SessionDep, user: CurrentUser, body: ApproveBody | None = None
) -> DraftPublic:
    """Approve a draft as it is, or with edited content."""
    body = body or ApproveBody()
    draft = drafts.decide(
        session, user, draft_id, approve=True, content=body.content, reason=body.note
    )
    return drafts.to_public(session, draft)


@router.post("/{draft_id}/reject", response_model=DraftPublic)
def reject_draft(
    draft_id: str, body: RejectBody, session: SessionDep, user: CurrentUser
) -> DraftPublic:
    """Reject a draft, giving the reason."""
    draft = drafts.decide(session, user, draft_id, approve=False, reason=body.reason)
    return drafts.to_public(session, draft)
