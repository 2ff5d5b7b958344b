"""HR pages: the dialogue-quality dashboard with drill-down and CSV, the audit event browser,
and the practice library (search for everyone, upload for HR and admins)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import Response

from coach.core import audit
from coach.core.audit import EventFilter
from coach.core.errors import InvalidInput, NotFound
from coach.core.models import Role
from coach.knowledge import (
    DEFAULT_COLLECTION,
    DocumentError,
    MarkdownFile,
    StoreError,
    UploadError,
    upload_documents,
)
from coach.org.users import employee_names
from coach.oversight import dialogue
from coach.oversight.calibration import calibration, latest_review_cycle
from coach.quality import check_comment

from ..deps import MAX_OFFSET, KnowledgeDep, SettingsDep
from . import audit_view
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
from .present import calibration_plot, marked

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MonthQuery = Annotated[str, Query(pattern=r"^(\d{4}-(0[1-9]|1[0-2])|latest)$")]
CycleQuery = Annotated[str, Query(max_length=10)]
PAGE = 50


@router.get("/hr/dialogues")
def dialogues(
    request: Request, session: WebSession, user: WebUser, month: MonthQuery = "latest"
) -> Response:
    """The month's dialogue quality per manager and over time, and the sample to read."""
    require_role(user, Role.hr)
    report = dialogue.dialogue_audit(session, month=month)
    charts = {
        "managers": {
            "labels": [m.manager_name for m in report.managers],
            "completion": [m.completion for m in report.managers],
            "effective": [m.effective_share for m in report.managers],
        },
        "trend": {
            "labels": [p.month for p in report.trend],
            "completion": [p.completion for p in report.trend],
            "effective": [p.effective_share for p in report.trend],
        },
    }
    names = employee_names(session, (s.employee_id for s in report.sample))
    return render(
        request,
        "hr/dialogues.html",
        {"report": report, "charts": charts, "names": names},
        user=user,
    )


@router.get("/hr/dialogues.csv")
def dialogues_csv(
    request: Request, session: WebSession, user: WebUser, month: MonthQuery = "latest"
) -> Response:
    """Per-manager figures as CSV; the download is audited."""
    require_role(user, Role.hr)
    report = dialogue.dialogue_audit(session, month=month)
    dialogue.record_csv_export(session, actor=user.label, report=report, path="(web download)")
    return Response(
        "\ufeff" + dialogue.to_csv(report),  # the BOM lets Excel read the Chinese names
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="dialogues-{report.month}.csv"'},
    )


@router.get("/hr/dialogues/{checkin_id}")
def dialogue_record(
    checkin_id: str,
    request: Request,
    session: WebSession,
    user: WebUser,
    month: MonthQuery = "latest",
) -> Response:
    """One sampled check-in with its detected parts, vague spans and HR notes."""
    require_role(user, Role.hr)
    report = dialogue.dialogue_audit(session, month=month)
    record = next((s for s in report.sample if s.checkin_id == checkin_id), None)
    if record is None:
        raise NotFound("sampled check-in", checkin_id)
    text = record.manager_feedback
    check = check_comment(text) if text.strip() else None
    names = employee_names(session, [record.employee_id, record.manager_id or ""])
    return render(
        request, "hr/dialogue.html",
        {"report": report, "record": record, "check": check, "names": names,
         "pieces": marked(text, check) if check else []},
        user=user,
    )  # fmt: skip


@router.post("/hr/dialogues/{checkin_id}/notes")
def add_note(
    checkin_id: str,
    request: Request,
    session: WebSession,
    user: PostUser,
    note: Annotated[str, Form(max_length=4000)] = "",
    month: Annotated[str, Form(pattern=r"^(\d{4}-(0[1-9]|1[0-2])|latest)$")] = "latest",
) -> Response:
    """Attach a review note to a sampled check-in."""
    require_role(user, Role.hr)
    dialogue.add_note(session, user, checkin_id=checkin_id, note=note)
    flash(request, "flash_note_saved")
    return redirect(request, f"/hr/dialogues/{checkin_id}?month={month}")


@router.get("/hr/calibration")
def calibration_page(
    request: Request,
    session: WebSession,
    user: WebUser,
    settings: SettingsDep,
    cycle: CycleQuery = "latest",
) -> Response:
    """Ratings per manager against everyone else's: who to discuss in calibration, and why."""
    require_role(user, Role.hr)
    if cycle == "latest" and latest_review_cycle(session) is None:
        return render(request, "hr/calibration.html", {"report": None, "plot": None}, user=user)
    report = calibration(session, cycle=cycle)
    plot = calibration_plot(report, low=settings.review_scale_min, high=settings.review_scale_max)
    return render(request, "hr/calibration.html", {"report": report, "plot": plot}, user=user)


@router.get("/hr/events")
def events(
    request: Request,
    session: WebSession,
    user: WebUser,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=50)] = "",
    object_type: Annotated[str, Query(max_length=50)] = "",
    object_id: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """Audit events in words, filtered by person, action and days, a page at a time."""
    require_role(user, Role.hr, Role.admin)
    lang = lang_of(request)
    query = {"actor": actor, "action": action, "object_type": object_type,
             "object_id": object_id, "since": since, "until": until}  # fmt: skip
    days, errors = audit_view.day_range(since, until)
    rows, count = [], 0
    if not errors:
        filters = EventFilter(
            actor=actor or None, action=action or None, object_type=object_type or None,
            object_id=object_id or None, since=days[0], until=days[1],
        )  # fmt: skip
        page = audit.list_events(session, filters=filters, offset=offset, limit=PAGE)
        rows, count = audit_view.event_rows(session, page.data, lang), page.count
    return render(
        request, "hr/events.html",
        {"rows": rows, "count": count, "query": query, "offset": offset, "size": PAGE,
         "errors": errors, "actions": audit_view.action_choices(lang),
         "actors": audit_view.actor_choices(session, audit.event_actors(session), lang),
         "object_types": audit_view.object_choices(lang)},
        user=user, status_code=422 if errors else 200,
    )  # fmt: skip


@router.get("/practices")
def practices(
    request: Request,
    user: WebUser,
    kb: KnowledgeDep,
    q: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The practice library, with search."""
    hits = kb.search(q, k=8, collection=DEFAULT_COLLECTION) if q.strip() else []
    documents = kb.list_documents(DEFAULT_COLLECTION)
    return render(
        request, "practices.html", {"q": q, "hits": hits, "documents": documents}, user=user
    )


@router.post("/practices")
def upload_practice(
    request: Request,
    session: WebSession,
    user: PostUser,
    kb: KnowledgeDep,
    settings: SettingsDep,
    file: UploadFile,
) -> Response:
    """Add or replace a practice from a .md, .txt, .docx or .pdf file (HR and admins)."""
    require_role(user, Role.hr, Role.admin)
    # A plain `def` runs in the threadpool: parsing and embedding block it, not the event loop.
    # One byte over the limit is enough to tell that the file is too large.
    upload = MarkdownFile(
        file.filename or "upload.md", file.file.read(settings.max_upload_bytes + 1)
    )
    try:
        result = upload_documents(
            session, kb, actor=user.label, collection=DEFAULT_COLLECTION, files=[upload],
            max_bytes=settings.max_upload_bytes,
        )  # fmt: skip
    except UploadError as exc:
        raise InvalidInput("file", exc.reason) from exc
    except (DocumentError, StoreError) as exc:
        raise InvalidInput("file", str(exc)) from exc
    flash(request, "flash_uploaded")
    return redirect(request, f"/practices?q={quote(result.documents[0].title)}")
