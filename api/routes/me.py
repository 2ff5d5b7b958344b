from __future__ import annotations

from fastapi import APIRouter

from coach.drafts import gate, responses
from coach.drafts.gate import ApprovedContent, ApprovedContentsPublic, MyTargets
from coach.drafts.responses import DraftResponseCreate, DraftResponsePublic, DraftResponsesPublic

from ..deps import CurrentUser, Page, PageDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/me", tags=["my records"])

_LIST_ERRORS = error_responses(401, 403, 422)


def _envelope(items: list[ApprovedContent], page: Page) -> ApprovedContentsPublic:
    return ApprovedContentsPublic(data=page.of(items), count=len(items))


@router.get("/feedback", response_model=ApprovedContentsPublic, responses=_LIST_ERRORS)
def my_feedback(session: SessionDep, user: CurrentUser, page: PageDep) -> ApprovedContentsPublic:
    """My feedback as approved by my manager, with who approved it and when."""
    return _envelope(gate.my_approved(session, user, kind=gate.FEEDBACK), page)


@router.get("/development", response_model=ApprovedContentsPublic, responses=_LIST_ERRORS)
def my_development(session: SessionDep, user: CurrentUser, page: PageDep) -> ApprovedContentsPublic:
    """My approved development plans, with who approved them and when."""
    return _envelope(gate.my_approved(session, user, kind=gate.DEVELOPMENT), page)


@router.get("/targets", response_model=MyTargets, responses=error_responses(401, 403))
def my_targets(session: SessionDep, user: CurrentUser) -> MyTargets:
    """My approved target drafts and official target ranges."""
    return gate.my_targets(session, user)


@router.post(
    "/drafts/{draft_id}/responses", response_model=DraftResponsePublic, status_code=201,
    responses=error_responses(400, 401, 403, 404, 422),
)  # fmt: skip
def answer_draft(
    draft_id: str, body: DraftResponseCreate, session: SessionDep, user: CurrentUser
) -> DraftResponsePublic:
    """Comment on, or object to, approved content about me; my manager and HR see it."""
    return responses.respond(session, user, draft_id=draft_id, answer=body)


@router.get(
    "/drafts/{draft_id}/responses", response_model=DraftResponsesPublic,
    responses=error_responses(401, 403, 404, 422),
)  # fmt: skip
def my_answers(
    draft_id: str, session: SessionDep, user: CurrentUser, page: PageDep
) -> DraftResponsesPublic:
    """My comments on and objections to approved content about me, oldest first."""
    answers = responses.my_responses(session, user, draft_id)
    return DraftResponsesPublic(data=page.of(answers), count=len(answers))
