from __future__ import annotations

from fastapi import APIRouter

from coach.drafts import gate
from coach.drafts.gate import ApprovedContent, ApprovedContentsPublic, MyTargets

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
