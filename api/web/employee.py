"""The employee's own pages: targets, feedback and development plan, approved content only.

Everything AI-made here comes out of `coach.drafts.gate`, with who approved it and when.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from coach.drafts import gate

from .core import WebRoute, WebSession, WebUser, render
from .present import EMPLOYEE_HIDDEN, metrics_by_id, sections

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/me")
def me(request: Request, session: WebSession, user: WebUser) -> Response:
    """My targets, my approved feedback and my approved development plan."""
    targets = gate.my_targets(session, user)
    feedback = gate.my_approved(session, user, kind=gate.FEEDBACK)
    plans = gate.my_approved(session, user, kind=gate.DEVELOPMENT)
    return render(
        request, "employee/me.html",
        {"targets": targets, "feedback": feedback, "plans": plans,
         "sections": partial(sections, hidden=EMPLOYEE_HIDDEN),
         "metrics": metrics_by_id(session)},
        user=user,
    )  # fmt: skip
