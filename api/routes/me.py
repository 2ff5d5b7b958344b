from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from coach import gating
from coach.gating import ApprovedContent, MyTargets

router = APIRouter(prefix="/v1/me", tags=["my records"])


@router.get("/feedback", response_model=list[ApprovedContent])
def my_feedback(session: SessionDep, user: CurrentUser) -> list[ApprovedContent]:
    """My feedback as approved by my manager, with who approved it and when."""
    return gating.my_approved(session, user, kind=gating.FEEDBACK)


@router.get("/development", response_model=list[ApprovedContent])
def my_development(session: SessionDep, user: CurrentUser) -> list[ApprovedContent]:
    """My approved development plans, with who approved them and when."""
    return gating.my_approved(session, user, kind=gating.DEVELOPMENT)


@router.get("/targets", response_model=MyTargets)
def my_targets(session: SessionDep, user: CurrentUser) -> MyTargets:
    """My approved target drafts and official target ranges."""
    return gating.my_targets(session, user)
