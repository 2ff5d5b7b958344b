"""Manager pages: the team, one person (metric chart, AI drafts), the draft editor, the inbox,
and the check-in form with the live vague-comment check."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from coach import team
from coach.chains import checkin_topics, service
from coach.checkins import CheckInCreate, create_checkin
from coach.core.errors import InvalidInput
from coach.core.models import DraftStatus, Role
from coach.drafts.decisions import ContentInvalid, ContentProblem, decide
from coach.drafts.edits import content_from_fields, item_changes
from coach.drafts.gate import DraftReceipt, sees_pending
from coach.drafts.registry import draft_kind
from coach.drafts.responses import responses_to
from coach.drafts.store import get_draft, list_drafts, to_public
from coach.org.access import get_employee, manages
from coach.org.users import Principal, employee_names, people_behind
from coach.quality import check_comment
from coach.quality.parts import dialogue_parts
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
from .i18n import translator
from .present import (
    edit_form,
    evidence_index,
    form_errors,
    marked,
    metric_name,
    sections,
    target_view,
)

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
    peers = [] if series else team.peer_ranges(session, user, employee_id)
    pending, _ = list_drafts(session, user, employee_id=employee_id, limit=20)
    charts = {
        s.metric: {
            "periods": s.periods, "values": s.values, "next": s.next_period, "unit": s.unit,
            "name": s.name, "counts": s.counts,
            "range": s.suggestion.model_dump(mode="json") if s.suggestion else None,
        }
        for s in series
    }  # fmt: skip
    return render(
        request, "manager/person.html",
        {"person": person, "series": series, "charts": charts, "pending": pending, "peers": peers,
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
    return _draft_page(request, session, user, draft_id)


def _draft_page(
    request: Request,
    session: WebSession,
    user: Principal,
    draft_id: str,
    *,
    edited: dict[str, Any] | None = None,
    problems: list[ContentProblem] | None = None,
    note: str = "",
) -> Response:
    """The draft page; `edited` is the edit form's content as posted (with its `problems`)."""
    draft = get_draft(session, user, draft_id)  # 403 for employees, whoever the subject
    public = to_public(session, draft)
    person = get_employee(session, user, draft.employee_id)
    evidence = evidence_index(public.inputs)
    lang = lang_of(request)
    # Once approved, the page shows what was approved; the AI version lives on in the diff.
    shown = public.approved if public.approved is not None else public.output
    changes = item_changes(public.output, public.approved) if public.approved is not None else []
    target = None
    if public.kind == TARGET_KIND:
        target = target_view(
            shown, person=person.name, lang=lang,
            metric_name=metric_name(session, str(shown.get("metric") or "")),
        )  # fmt: skip
    schema = draft_kind(public.kind).schema
    form = None
    if schema is not None and public.kind != TARGET_KIND:
        errors = form_errors(problems or [], lang)
        form = edit_form(schema, public.output if edited is None else edited, evidence, errors)
    return render(
        request, "manager/draft.html",
        {"draft": public, "person": person, "sections": sections(shown, evidence),
         "changes": changes, "shown": shown,
         "target": target, "history": public.inputs.get("own_history") or [],
         "flags": public.output.get("quality_flags") or [],
         "form": form, "editing": edited is not None, "note": note, "problems": len(problems or []),
         "reviewers": people_behind(session, (d.reviewer for d in public.decisions)),
         "can_decide": public.status == DraftStatus.pending and manages(session, user, draft.employee_id),
         "answers": responses_to(session, [draft.id])[draft.id]},
        user=user, status_code=422 if problems else 200,
    )  # fmt: skip


@router.post("/drafts/{draft_id}/approve")
def approve(
    draft_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    note: Annotated[str, Form(max_length=2000)] = "",
    commit: Annotated[float | None, Form(allow_inf_nan=False)] = None,
    target: Annotated[float | None, Form(allow_inf_nan=False)] = None,
    stretch: Annotated[float | None, Form(allow_inf_nan=False)] = None,
) -> Response:
    """Approve as is, or with a target's three levels changed."""
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
    decide(session, user, draft_id, approve=True, content=edited, reason=note)
    flash(request, "flash_approved")
    return redirect(request, f"/drafts/{draft_id}")


_NOT_CONTENT = frozenset({"csrf_token", "note", "op"})


async def posted_fields(request: Request) -> dict[str, list[str]]:
    """The edit form's content fields, each with every value posted under its name."""
    form = await request.form()
    fields = {
        name: [v for v in form.getlist(name) if isinstance(v, str)]
        for name in form
        if name not in _NOT_CONTENT
    }
    for name, values in fields.items():
        if any(len(v) > MAX_TEXT for v in values):
            raise InvalidInput(name, f"at most {MAX_TEXT} characters: 每项最多 {MAX_TEXT} 字")
    return fields


def _changed_items(content: dict[str, Any], op: str) -> dict[str, Any] | None:
    """The content with an item added (`add:strengths`) or removed (`remove:strengths.1`)."""
    action, _, where = op.partition(":")
    name, _, number = where.partition(".")
    items = content.get(name)
    if not isinstance(items, list):
        return None
    if action == "add":
        return {**content, name: [*items, {}]}
    if action == "remove" and number.isdigit() and int(number) < len(items):
        return {**content, name: [v for n, v in enumerate(items) if n != int(number)]}
    return None


@router.post("/drafts/{draft_id}/edit")
def edit_and_approve(
    draft_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    fields: Annotated[dict[str, list[str]], Depends(posted_fields)],
    note: Annotated[str, Form(max_length=2000)] = "",
    op: Annotated[str, Form(max_length=80)] = "approve",
) -> Response:
    """The edit form: add or remove an item (the form comes back), or approve the edited items."""
    draft = get_draft(session, user, draft_id)
    schema = draft_kind(draft.kind).schema
    if schema is None or draft.kind == TARGET_KIND:
        raise InvalidInput("op", "this kind of draft is not edited item by item")
    content = content_from_fields(schema, fields, ai=draft.output)
    if op != "approve":
        changed = _changed_items(content, op)
        if changed is None:
            raise InvalidInput("op", f"unknown edit {op!r}")
        return _draft_page(request, session, user, draft_id, edited=changed, note=note)
    try:
        decide(session, user, draft_id, approve=True, content=content, reason=note)
    except ContentInvalid as exc:
        session.rollback()
        return _draft_page(
            request, session, user, draft_id, edited=content, problems=exc.problems, note=note
        )
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


_CHECKIN_TEXTS = ("progress", "obstacles", "support_needed", "next_actions", "manager_feedback")


def _checkin_page(
    request: Request, session: Session, user: Principal, employee_id: str,
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    person = get_employee(session, user, employee_id)
    if not manages(session, user, employee_id):
        raise InvalidInput("employee_id", "you can record check-ins only for your reports")
    return render(
        request, "manager/checkin.html",
        {"person": person, "values": values or {"date": dt.date.today().isoformat()},
         "errors": errors or {}},
        user=user, status_code=422 if errors else 200,
    )  # fmt: skip


@router.get("/team/{employee_id}/checkin")
def checkin_form(
    employee_id: str, request: Request, session: WebSession, user: WebUser
) -> Response:
    """The check-in form; the feedback field is checked for vague wording while typing."""
    require_role(user, Role.manager)
    return _checkin_page(request, session, user, employee_id)


@router.post("/checkin/check")
def live_check(
    request: Request,
    user: PostUser,
    manager_feedback: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    obstacles: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    support_needed: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    next_actions: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    """The findings of the vague-comment check and the three parts the form asks for, as a
    fragment under the feedback field."""
    check = check_comment(manager_feedback) if manager_feedback.strip() else None
    pieces = marked(manager_feedback, check) if check else []
    # The same three parts HR's dialogue audit counts, so the hint and the form agree.
    parts = dialogue_parts(
        feedback=manager_feedback, next_actions=next_actions, support_needed=support_needed,
        employee_comment="", obstacles=obstacles,
    )  # fmt: skip
    return render(
        request, "partials/findings.html", {"check": check, "pieces": pieces, "parts": parts},
        user=user,
    )  # fmt: skip


@router.post("/team/{employee_id}/checkin")
def save_checkin(
    employee_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    date: Annotated[str, Form()] = "",
    progress: Annotated[str, Form()] = "",
    obstacles: Annotated[str, Form()] = "",
    support_needed: Annotated[str, Form()] = "",
    next_actions: Annotated[str, Form()] = "",
    manager_feedback: Annotated[str, Form()] = "",
) -> Response:
    """Record the check-in (the feedback check is stored with it); a refused field comes back
    beside its input with everything typed kept."""
    values = {"date": date, "progress": progress, "obstacles": obstacles,
              "support_needed": support_needed, "next_actions": next_actions,
              "manager_feedback": manager_feedback}  # fmt: skip
    t = translator(lang_of(request))
    try:
        data = CheckInCreate(employee_id=employee_id, **values)  # type: ignore[arg-type]
        create_checkin(session, user, data)
    except ValidationError as exc:
        errors = {
            str(e["loc"][0]): t("err_checkin_date")
            if e["loc"][0] == "date"
            else t("err_checkin_long")
            for e in exc.errors()
        }
        return _checkin_page(request, session, user, employee_id, values, errors)
    except InvalidInput as exc:
        if exc.field not in _CHECKIN_TEXTS:
            raise
        return _checkin_page(request, session, user, employee_id, values,
                             {exc.field: t("err_checkin_empty")})  # fmt: skip
    flash(request, "flash_checkin_saved")
    return redirect(request, f"/team/{employee_id}")
