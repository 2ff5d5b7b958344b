"""The employee's own pages: targets, feedback and development plan, approved content only.

Everything AI-made here comes out of `coach.gating`, with who approved it and when.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.core import WebRoute, WebSession, WebUser, render
from api.web.present import sections
from coach import gating

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/me")
def me(request: Request, session: WebSession, user: WebUser) -> Response:
    """My targets, my approved feedback and my approved development plan."""
    targets = gating.my_targets(session, user)
    feedback = gating.my_approved(session, user, kind=gating.FEEDBACK)
    plans = gating.my_approved(session, user, kind=gating.DEVELOPMENT)
    return render(
        request, "employee/me.html",
        {"targets": targets, "feedback": feedback, "plans": plans, "sections": sections},
        user=user,
    )  # fmt: skip
