"""The employee's own pages: targets, feedback and development plan, approved content only.

Everything AI-made here comes out of `coach.drafts.gate`, with who approved it and when; the
employee may answer each item with a comment or an objection (`coach.drafts.responses`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from coach.core.errors import InvalidInput
from coach.core.models import ResponseKind
from coach.drafts import gate, responses
from coach.drafts.responses import DraftResponseCreate
from coach.org.users import Principal

from .core import PostUser, WebRoute, WebSession, WebUser, flash, redirect, render
from .present import EMPLOYEE_HIDDEN, metrics_by_id, sections

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _me_page(
    request: Request,
    session: WebSession,
    user: Principal,
    *,
    answering: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    targets = gate.my_targets(session, user)
    feedback = gate.my_approved(session, user, kind=gate.FEEDBACK)
    plans = gate.my_approved(session, user, kind=gate.DEVELOPMENT)
    draft_ids = [o.draft_id for o in targets.official] + [a.draft_id for a in feedback + plans]
    return render(
        request, "employee/me.html",
        {"targets": targets, "feedback": feedback, "plans": plans,
         "sections": partial(sections, hidden=EMPLOYEE_HIDDEN),
         "metrics": metrics_by_id(session), "responses": responses.responses_to(session, draft_ids),
         "answering": answering or {}, "kinds": list(ResponseKind)},
        user=user, status_code=status_code,
    )  # fmt: skip


@router.get("/me")
def me(request: Request, session: WebSession, user: WebUser) -> Response:
    """My targets, my approved feedback and my approved development plan."""
    return _me_page(request, session, user)


@router.post("/me/drafts/{draft_id}/responses")
def answer(
    draft_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    kind: Annotated[ResponseKind, Form()],
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Comment on, or object to, an approved item; the error, if any, shows beside the field."""
    answer = DraftResponseCreate(kind=kind, text=text)
    try:
        responses.respond(session, user, draft_id=draft_id, answer=answer)
    except InvalidInput as exc:
        kept = {"draft_id": draft_id, "kind": kind.value, "text": text, "error": exc.reason}
        return _me_page(request, session, user, answering=kept, status_code=422)
    flash(request, "flash_response_saved")
    return redirect(request, f"/me#draft-{draft_id}")
