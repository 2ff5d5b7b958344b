from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from coach.core.models import DraftStatus
from coach.drafts import decisions, store
from coach.drafts.content import DraftContent
from coach.drafts.gate import DraftReceipt
from coach.drafts.store import DraftPublic, DraftsPublic

from ..deps import CurrentUser, PageDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])


class ApproveBody(BaseModel):
    content: DraftContent | None = Field(
        default=None, description="The edited output; omit to approve the draft as it is."
    )
    note: str = Field(default="", max_length=2000)


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the draft is rejected.")


@router.get("", response_model=DraftsPublic, responses=error_responses(401, 403, 422))
def list_drafts(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: DraftStatus | None = DraftStatus.pending,
    kind: str | None = None,
    employee_id: str | None = None,
) -> DraftsPublic:
    """My inbox: drafts about the people I manage (HR: all), newest first."""
    rows, count = store.list_drafts(
        session, user, status=status, kind=kind, employee_id=employee_id, offset=page.offset,
        limit=page.limit,
    )  # fmt: skip
    return DraftsPublic(data=[store.to_public(session, d) for d in rows], count=count)


@router.get(
    "/{draft_id}",
    response_model=DraftPublic | DraftReceipt,
    responses=error_responses(401, 403, 404, 422),
)
def get_draft(draft_id: str, session: SessionDep, user: CurrentUser) -> DraftPublic | DraftReceipt:
    """A draft with its inputs, output, provenance and decisions (its requester: a receipt)."""
    return store.read_draft(session, user, draft_id)


_DECIDE_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 503)


@router.post("/{draft_id}/approve", response_model=DraftPublic, responses=_DECIDE_ERRORS)
def approve_draft(
    draft_id: str, session: SessionDep, user: CurrentUser, body: ApproveBody | None = None
) -> DraftPublic:
    """Approve a draft as it is, or with edited content."""
    body = body or ApproveBody()
    draft = decisions.decide(
        session, user, draft_id, approve=True, content=body.content, reason=body.note
    )
    return store.to_public(session, draft)


@router.post("/{draft_id}/reject", response_model=DraftPublic, responses=_DECIDE_ERRORS)
def reject_draft(
    draft_id: str, body: RejectBody, session: SessionDep, user: CurrentUser
) -> DraftPublic:
    """Reject a draft, giving the reason."""
    draft = decisions.decide(session, user, draft_id, approve=False, reason=body.reason)
    return store.to_public(session, draft)
