"""Manager pages: the team, one person (metric chart, AI drafts), the draft editor, the inbox,
and the check-in form with the live vague-comment check."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from coach import team
from coach.chains import checkin_topics, service
from coach.checkins import CheckInCreate, create_checkin
from coach.core.errors import InvalidInput
from coach.core.models import DraftStatus, Role
from coach.drafts.decisions import decide
from coach.drafts.gate import DraftReceipt, sees_pending
from coach.drafts.store import get_draft, list_drafts, to_public
from coach.org.access import get_employee, manages
from coach.org.users import employee_names, people_behind
from coach.quality import check_comment
from coach.targets import TargetRequest
from coach.targets.service import DRAFT_KIND as TARGET_KIND
from coach.targets.service import suggest_and_draft

from ..deps import MAX_OFFSET, ChatEngineDep, EngineDep, KnowledgeDep, SettingsDep
from .core import (
    PostUser,
    WebRoute,
    WebSession,
    WebUser,
    flash,
    lang_of,
    redirect,
    render,
    require_role,
)
from .present import evidence_index, marked, metric_name, pretty_json, sections, target_view

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Kind = Literal["checkin_topics", "feedback", "development"]
MAX_TEXT = 5000


@router.get("/team")
def team_page(request: Request, session: WebSession, user: WebUser) -> Response:
    """My direct reports at a glance."""
    members = team.team_overview(session, user, as_of=dt.date.today())
    return render(request, "manager/team.html", {"members": members}, user=user)


@router.get("/team/{employee_id}")
def person_page(employee_id: str, request: Request, session: WebSession, user: WebUser) -> Response:
    """One report: metric history with suggested ranges, and the AI draft buttons."""
    require_role(user, Role.manager, Role.hr)
    person = get_employee(session, user, employee_id)
    series = team.metric_history(session, user, employee_id)
    pending, _ = list_drafts(session, user, employee_id=employee_id, limit=20)
    charts = {
        s.metric: {
            "periods": s.periods, "values": s.values, "next": s.next_period, "unit": s.unit,
            "name": s.name,
            "range": s.suggestion.model_dump(mode="json") if s.suggestion else None,
        }
        for s in series
    }  # fmt: skip
    return render(
        request, "manager/person.html",
        {"person": person, "series": series, "charts": charts, "pending": pending,
         "can_decide": manages(session, user, employee_id)},
        user=user,
    )  # fmt: skip


@router.post("/team/{employee_id}/targets")
def suggest_target(
    employee_id: str,
    request: Request,
    db: EngineDep,
    session: WebSession,
    user: PostUser,
    engine: ChatEngineDep,
    settings: SettingsDep,
    metric: Annotated[str, Form(max_length=64)],
    period: Annotated[str, Form(max_length=10)],
) -> Response:
    """Suggest next period's range; it is stored as a pending draft, as the API does."""
    target_request = TargetRequest(employee_id=employee_id, metric=metric, period=period)
    suggest_and_draft(
        db, user, target_request, engine=engine, open_limit=settings.max_open_requests,
        lang=lang_of(request), peers=settings.target_peers,
    )  # fmt: skip
    if not sees_pending(session, user, employee_id):
        return _request_sent(request)
    flash(request, "flash_target_suggested")
    return redirect(request, f"/team/{employee_id}#metric-{metric}")


def _request_sent(request: Request) -> Response:
    """Back home for a requester who does not decide: the draft waits for the manager."""
    flash(request, "flash_request_sent")
    return redirect(request, "/")


@router.post("/team/{employee_id}/generate/{kind}")
async def generate(
    employee_id: str,
    kind: Kind,
    request: Request,
    user: PostUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
    kb: KnowledgeDep,
) -> Response:
    """Check-in topics, a feedback draft or development suggestions, as a pending draft."""
    today, lang = dt.date.today(), lang_of(request)
    body: dict[str, object] = {"employee_id": employee_id, "date": today.isoformat(), "via": "web"}
    if kind == "feedback":
        body["cycle"] = "latest"
    stored = await service.generate(
        db, user, kind=kind, employee_id=employee_id, chat=chat, settings=settings,
        knowledge=kb, as_of=today, cycle="latest" if kind == "feedback" else None,
        lang=lang if kind == checkin_topics.KIND else "zh", request=body,
    )  # fmt: skip
    if isinstance(stored, DraftReceipt):
        return _request_sent(request)
    return redirect(request, f"/drafts/{stored.draft_id}")


# --- drafts -----------------------------------------------------------------------------


@router.get("/drafts")
def inbox(
    request: Request,
    session: WebSession,
    user: WebUser,
    employee_id: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """Pending drafts about my people (HR: everyone's), newest first."""
    rows, count = list_drafts(
        session, user, status=DraftStatus.pending, employee_id=employee_id or None,
        offset=offset, limit=50,
    )  # fmt: skip
    names = employee_names(session, (d.employee_id for d in rows))
    return render(
        request, "manager/inbox.html",
        {"drafts": rows, "count": count, "offset": offset, "employee_id": employee_id or "",
         "names": names},
        user=user,
    )  # fmt: skip


@router.get("/drafts/{draft_id}")
def draft_page(draft_id: str, request: Request, session: WebSession, user: WebUser) -> Response:
    """A draft with the evidence each item cites, and the decision forms."""
    draft = get_draft(session, user, draft_id)  # 403 for employees, whoever the subject
    public = to_public(session, draft)
    person = get_employee(session, user, draft.employee_id)
    evidence = evidence_index(public.inputs)
    editable = {k: v for k, v in public.output.items() if k != "quality_flags"}
    target = None
    if public.kind == TARGET_KIND:
        target = target_view(
            public.output, person=person.name, lang=lang_of(request),
            metric_name=metric_name(session, str(public.output.get("metric") or "")),
        )  # fmt: skip
    return render(
        request, "manager/draft.html",
        {"draft": public, "person": person, "sections": sections(public.output, evidence),
         "target": target, "history": public.inputs.get("own_history") or [],
         "flags": public.output.get("quality_flags") or [],
         "edit_json": pretty_json(editable),
         "reviewers": people_behind(session, (d.reviewer for d in public.decisions)),
         "can_decide": public.status == DraftStatus.pending and manages(session, user, draft.employee_id),
         "error": None},
        user=user,
    )  # fmt: skip


@router.post("/drafts/{draft_id}/approve")
def approve(
    draft_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    content: Annotated[str | None, Form(max_length=200_000)] = None,
    note: Annotated[str, Form(max_length=2000)] = "",
    commit: Annotated[float | None, Form(allow_inf_nan=False)] = None,
    target: Annotated[float | None, Form(allow_inf_nan=False)] = None,
    stretch: Annotated[float | None, Form(allow_inf_nan=False)] = None,
) -> Response:
    """Approve as is (no content), with a target's three levels changed, or with edited JSON."""
    edited = None
    levels = {"commit": commit, "target": target, "stretch": stretch}
    if any(v is not None for v in levels.values()):
        missing = [k for k, v in levels.items() if v is None]
        if missing:
            raise InvalidInput(missing[0], "give all three levels: 承诺值、目标值、挑战值")
        draft = get_draft(session, user, draft_id)
        if draft.kind != TARGET_KIND:
            raise InvalidInput("commit", "only a target range has levels to change")
        changed = {**draft.output, **levels}
        edited = None if changed == draft.output else changed
    elif content is not None and content.strip():
        try:
            edited = json.loads(content)
        except json.JSONDecodeError as exc:
            raise InvalidInput("content", f"not valid JSON (line {exc.lineno}): {exc.msg}") from exc
        if not isinstance(edited, dict):
            raise InvalidInput("content", "must be a JSON object")
        draft = get_draft(session, user, draft_id)
        if "quality_flags" in draft.output and "quality_flags" not in edited:
            edited["quality_flags"] = draft.output["quality_flags"]
        if edited == draft.output:
            edited = None
    decide(session, user, draft_id, approve=True, content=edited, reason=note)
    flash(request, "flash_approved")
    return redirect(request, f"/drafts/{draft_id}")


@router.post("/drafts/{draft_id}/reject")
def reject(
    draft_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Reject with a reason (required)."""
    decide(session, user, draft_id, approve=False, reason=reason)
    flash(request, "flash_rejected")
    return redirect(request, f"/drafts/{draft_id}")


# --- check-ins --------------------------------------------------------------------------


@router.get("/team/{employee_id}/checkin")
def checkin_form(
    employee_id: str, request: Request, session: WebSession, user: WebUser
) -> Response:
    """The check-in form; the feedback field is checked for vague wording while typing."""
    require_role(user, Role.manager)
    person = get_employee(session, user, employee_id)
    if not manages(session, user, employee_id):
        raise InvalidInput("employee_id", "you can record check-ins only for your reports")
    return render(
        request, "manager/checkin.html", {"person": person, "today": dt.date.today()}, user=user
    )


@router.post("/checkin/check")
def live_check(
    request: Request,
    user: PostUser,
    manager_feedback: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    """The findings of the vague-comment check, as a fragment under the feedback field."""
    check = check_comment(manager_feedback) if manager_feedback.strip() else None
    pieces = marked(manager_feedback, check) if check else []
    return render(request, "partials/findings.html", {"check": check, "pieces": pieces}, user=user)


@router.post("/team/{employee_id}/checkin")
def save_checkin(
    employee_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    date: Annotated[dt.date, Form()],
    progress: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    obstacles: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    support_needed: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    next_actions: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    manager_feedback: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    """Record the check-in (the feedback check is stored with it)."""
    data = CheckInCreate(
        employee_id=employee_id, date=date, progress=progress, obstacles=obstacles,
        support_needed=support_needed, next_actions=next_actions, manager_feedback=manager_feedback,
    )  # fmt: skip
    create_checkin(session, user, data)
    flash(request, "flash_checkin_saved")
    return redirect(request, f"/team/{employee_id}")
