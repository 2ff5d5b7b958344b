"""HR pages: the dialogue-quality dashboard with drill-down and CSV, the audit event browser,
and the practice library (search for everyone, upload for HR and admins)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
from coach.knowledge.rerank import RERANK_TOP, rerank_hits
from coach.org.users import employee_names
from coach.oversight import dialogue
from coach.oversight.calibration import calibration, latest_review_cycle
from coach.oversight.fairness import ATTRIBUTE_NAMES, ATTRIBUTES, MEASURE_NAMES, Fairness, fairness
from coach.oversight.themes import Themes, themes
from coach.oversight.warnings import EarlyWarnings, early_warnings
from coach.quality import check_comment

from ..deps import MAX_OFFSET, ChatEngineDep, KnowledgeDep, SettingsDep
from . import audit_view
from .charts import BarChart, BarInput, bar_chart
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
from .present import calibration_plot, marked

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MonthQuery = Annotated[str, Query(pattern=r"^(\d{4}-(0[1-9]|1[0-2])|latest)$")]
AttributeQuery = Annotated[str, Query(max_length=20)]
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
    low, high = settings.review_scale_min, settings.review_scale_max
    report = calibration(session, cycle=cycle, scale=(low, high))
    plot = calibration_plot(report, low=low, high=high)
    return render(request, "hr/calibration.html", {"report": report, "plot": plot}, user=user)


WARNING_KINDS = (
    "kr_off_track", "checkin_gap", "metric_decline", "repeated_obstacle", "unmet_support",
)  # fmt: skip


def _warnings_chart(report: EarlyWarnings, t: Callable[..., str]) -> BarChart:
    counts = {kind: sum(w.kind == kind for w in report.data) for kind in WARNING_KINDS}
    items = [BarInput(t(f"warn_{k}"), n, f"{n}", flagged=n > 0) for k, n in counts.items()]
    return bar_chart(items, maximum=max([*counts.values(), 5]))


@router.get("/hr/warnings")
def warnings_page(
    request: Request,
    session: WebSession,
    user: WebUser,
    settings: SettingsDep,
    as_of: Annotated[dt.date | None, Query()] = None,
) -> Response:
    """Early warnings about everyone, by kind, each with its reason and evidence."""
    require_role(user, Role.hr)
    report = early_warnings(session, user, as_of=as_of or dt.date.today(), settings=settings)
    t = translator(lang_of(request))
    definitions = {
        "kr_off_track": t("warn_def_kr_off_track", points=settings.warning_kr_behind_points),
        "checkin_gap": t("warn_def_checkin_gap", days=settings.checkin_cadence_days),
        "metric_decline": t(
            "warn_def_metric_decline", share=f"{settings.warning_metric_decline:.0%}"
        ),
        "repeated_obstacle": t(
            "warn_def_repeated_obstacle", times=settings.warning_obstacle_checkins
        ),
        "unmet_support": t("warn_def_unmet_support", days=settings.checkin_cadence_days),
    }
    return render(
        request, "hr/warnings.html",
        {"report": report, "chart": _warnings_chart(report, t), "definitions": definitions,
         "kinds": WARNING_KINDS},
        user=user,
    )  # fmt: skip


def _fairness_charts(report: Fairness, t: Callable[..., str]) -> dict[str, BarChart]:
    flagged = {(d.measure, d.value) for d in report.disparities}
    charts = {}
    for measure in MEASURE_NAMES:
        items = []
        for group in report.groups:
            rate = group.rates.get(measure)
            if rate is None:
                items.append(BarInput(group.value, None, t("fair_withheld", n=report.min_group)))
            else:
                text = (
                    "n/a"
                    if rate.share is None
                    else f"{rate.share:.0%}（{rate.count}/{rate.total}）"
                )
                items.append(
                    BarInput(group.value, rate.share, text, (measure, group.value) in flagged)
                )
        charts[measure] = bar_chart(items, maximum=1.0, percent=True)
    return charts


@router.get("/hr/fairness")
def fairness_page(
    request: Request,
    session: WebSession,
    user: WebUser,
    attribute: AttributeQuery = "gender",
    period: CycleQuery = "",
) -> Response:
    """Vague and critical feedback rates per group, with the gaps worth examining."""
    require_role(user, Role.hr)
    report = fairness(session, attribute=attribute, period=period or None)
    return render(
        request, "hr/fairness.html",
        {"report": report, "charts": _fairness_charts(report, translator(lang_of(request))),
         "measures": MEASURE_NAMES, "attributes": ATTRIBUTES, "attribute_names": ATTRIBUTE_NAMES},
        user=user,
    )  # fmt: skip


def _themes_chart(report: Themes) -> BarChart:
    items = [
        BarInput(
            f"{team.team}·{theme.text[:6]}…",
            theme.people,
            f"{theme.people} 人 / {theme.count} 次",
        )
        for team in report.teams
        for theme in team.themes
    ]
    return bar_chart(items, maximum=max([5, *(i.value or 0 for i in items)]))


@router.get("/hr/themes")
def themes_page(
    request: Request, session: WebSession, user: WebUser, month: MonthQuery = "latest"
) -> Response:
    """Obstacles and support requests several people of a team raised in a month."""
    require_role(user, Role.hr)
    report = themes(session, user, month=month)
    return render(
        request, "hr/themes.html", {"report": report, "chart": _themes_chart(report)}, user=user
    )


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
    chat: ChatEngineDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    rerank: bool = False,
) -> Response:
    """The practice library, with search and, when a model is configured, its rerank."""
    hits = kb.search(q, k=RERANK_TOP, collection=DEFAULT_COLLECTION) if q.strip() else []
    outcome = None
    if hits and rerank:
        hits, outcome = rerank_hits(q, hits, chat)
    documents = kb.list_documents(DEFAULT_COLLECTION)
    return render(
        request, "practices.html",
        {"q": q, "hits": hits, "documents": documents, "rerank": rerank, "outcome": outcome,
         "can_rerank": chat.provider != "offline"},
        user=user,
    )  # fmt: skip


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
