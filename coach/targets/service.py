"""Target suggestions as drafts: load history from the database, explain, store, make official.

The numbers come from the engine alone. An LLM may only rephrase the rationale, and its
text is accepted only when every number in it is one the engine produced.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from coach.core.audit import record_event
from coach.core.db import session_scope
from coach.core.errors import CoachError, Forbidden
from coach.core.models import Draft, Employee, Metric, MetricValue, OfficialTarget, new_id
from coach.core.numbers import ungrounded_numbers
from coach.core.prompts import render
from coach.drafts.registry import DraftKind
from coach.drafts.store import Provenance, create_draft
from coach.llm import ChatEngine, LLMError, StructuredCall
from coach.org.access import can_view
from coach.org.users import Principal
from coach.targets.data import TargetData
from coach.targets.engine import suggest_target, suggest_targets
from coach.targets.errors import TargetError
from coach.targets.models import (
    Basis,
    EmployeeInfo,
    HistoryPoint,
    MetricInfo,
    PeerScope,
    TargetRequest,
    TargetSuggestion,
)
from coach.targets.periods import from_ordinal
from coach.targets.rationale import build_rationale

logger = logging.getLogger(__name__)

DRAFT_KIND = "target"
REPHRASE_TEMPLATE = "targets/rephrase.j2"
RATIONALE_TEMPLATE = "targets/rationale.j2"
OFFLINE_MODEL = "coach-targets-1"
FIT_CACHE_SIZE = 8  # metrics whose loaded history and fit a process keeps per database


class Rationale(BaseModel):
    """A rephrased explanation of a target range."""

    text: str = Field(description="Two or three sentences; every number exactly as given.")


class TargetRange(BaseModel):
    """The part of a target draft a manager may edit; the rest of the draft is kept."""

    model_config = {"extra": "allow"}

    commit: float
    target: float
    stretch: float

    @model_validator(mode="after")
    def _ordered(self) -> TargetRange:
        rising = self.commit <= self.target <= self.stretch
        falling = self.commit >= self.target >= self.stretch
        if not (rising or falling):
            raise ValueError("target must lie between commit and stretch")
        return self


class TargetDraft(BaseModel):
    """A suggestion stored as a pending draft."""

    draft_id: str
    suggestion: TargetSuggestion
    provenance: Provenance


def load_target_data(
    session: Session, metrics: Iterable[str], *, peers: PeerScope = "department"
) -> TargetData:
    """Everything the engine needs for these metrics: all employees (peers) and their history."""
    wanted = sorted(set(metrics))
    employees = [
        EmployeeInfo.model_validate(e, from_attributes=True)
        for e in session.exec(select(Employee)).all()
    ]
    # Every definition, not only the wanted ones: a guessed metric is answered with the known.
    metric_rows = [MetricInfo.model_validate(m.model_dump()) for m in session.exec(select(Metric))]
    history = [
        HistoryPoint(employee_id=e, period=p, metric=m, value=v)
        for e, p, m, v in session.exec(
            select(MetricValue.employee_id, MetricValue.period, MetricValue.metric, MetricValue.value)
            .where(col(MetricValue.metric).in_(wanted))
        ).all()
    ]  # fmt: skip
    return TargetData.build(employees, metric_rows, history, peer_scope=peers)


_fits_lock = threading.Lock()
_fits: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple[Any, ...], TargetData]] = (
    weakref.WeakKeyDictionary()
)


def _metric_version(session: Session, metric: str) -> tuple[Any, ...]:
    """What changes with any write the metric's fit depends on: its values, people, definitions.

    Every insert and update of a value or an employee stamps `updated_at`; both maxima are
    read from the (metric, updated_at) and (metric, id) index ends, so the query does not
    grow with the history. Values are never deleted (erasure blanks the person, which
    stamps the employee), so no count of them is needed; the employee count sees removed
    people. Definitions are few, so they are compared whole.
    """
    own = MetricValue.metric == metric
    # One scalar subquery per aggregate: SQLite reads a lone min/max from its index's end,
    # but scans the whole range when one SELECT asks for two.
    version = select(
        select(func.max(MetricValue.id)).where(own).scalar_subquery(),
        select(func.max(MetricValue.updated_at)).where(own).scalar_subquery(),
        select(func.count()).select_from(Employee).scalar_subquery(),
        select(func.max(Employee.updated_at)).scalar_subquery(),
    )
    definitions = tuple(tuple(m.model_dump().items()) for m in session.exec(select(Metric)))
    return (metric, *session.exec(version).one(), definitions)


def cached_target_data(
    db: Engine, session: Session, metric: str, *, peers: PeerScope = "department"
) -> TargetData:
    """One metric's data, with the fit it caches, reloaded only when the data's version moved.

    The cache lives in this process only; another process loads and fits once itself, and
    the version makes any write from anywhere start afresh.
    """
    version = (*_metric_version(session, metric), peers)
    with _fits_lock:
        fits = _fits.setdefault(db, OrderedDict())
        data = fits.get(version)
        if data is not None:
            fits.move_to_end(version)
            return data
    data = load_target_data(session, [metric], peers=peers)
    with _fits_lock:
        fits = _fits.setdefault(db, OrderedDict())
        stale = [key for key in fits if key[0] == metric]
        for key in stale:
            del fits[key]
        fits[version] = data
        while len(fits) > FIT_CACHE_SIZE:
            fits.popitem(last=False)
    return data


def _inputs(data: TargetData, request: TargetRequest, lang: str) -> dict[str, Any]:
    """The request and the employee's own history it was answered from."""
    history = data.history.get(request.metric)
    index = data.employee_index.get(request.employee_id)
    own: list[dict[str, Any]] = []
    if history is not None and index is not None:
        period_type = data.metrics[request.metric].period_type
        mask = history.employee == index
        own = [
            {"period": from_ordinal(int(o), period_type), "value": float(v)}
            for o, v in zip(history.ordinal[mask], history.value[mask], strict=True)
        ]
    return {"request": request.model_dump(), "lang": lang, "own_history": own}


def _rephrase(
    engine: ChatEngine, suggestion: TargetSuggestion, lang: str, *, draft_id: str
) -> tuple[str, Provenance]:
    prompt = render(
        REPHRASE_TEMPLATE,
        rationale=suggestion.rationale,
        numbers=suggestion.rationale_numbers,
        lang=lang,
    )
    call = StructuredCall(
        purpose="targets.rationale", prompt=prompt, schema=Rationale,
        offline=lambda: Rationale(text=suggestion.rationale), draft_id=draft_id,
    )  # fmt: skip
    provenance = Provenance(provider=engine.provider, model=engine.model,
                            template_id=prompt.template_id, template_hash=prompt.template_hash)  # fmt: skip
    try:
        text = engine.generate(call).output.text.strip()
    except LLMError as exc:
        logger.warning("rationale rephrase failed, template text kept: %s", exc)
        return suggestion.rationale, _template_kept(f"{engine.provider} call failed: {exc}")
    stray = ungrounded_numbers(text, suggestion.rationale_numbers)
    if stray or not text:
        logger.warning("rephrased rationale changed numbers %s; template text kept", stray)
        reason = f"rephrased rationale had numbers not from the engine: {', '.join(stray) or 'empty text'}"
        return suggestion.rationale, _template_kept(reason)
    return text, provenance


def _template_kept(reason: str) -> Provenance:
    """The provenance of a rationale the offline template wrote, and why the LLM's was not kept."""
    return Provenance(provider="offline", model=OFFLINE_MODEL, template_id=RATIONALE_TEMPLATE,
                      fallback_reason=reason)  # fmt: skip


def _check_scope(session: Session, principal: Principal, employee_id: str) -> None:
    if session.get(Employee, employee_id) is not None and not can_view(
        session, principal, employee_id
    ):
        raise Forbidden(f"employee {employee_id!r} is outside your scope")


class ExplainedTarget(BaseModel):
    """A suggestion with its rephrased rationale, not yet stored as the draft `draft_id`."""

    draft_id: str
    request: TargetRequest
    suggestion: TargetSuggestion
    provenance: Provenance
    inputs: dict[str, Any]


def explain_target(
    db: Engine,
    principal: Principal,
    request: TargetRequest,
    *,
    engine: ChatEngine,
    lang: str = "zh",
    peers: PeerScope = "department",
) -> ExplainedTarget:
    """Suggest a range and have its rationale rephrased; no connection is held meanwhile."""
    with Session(db) as session:
        _check_scope(session, principal, request.employee_id)
        data = cached_target_data(db, session, request.metric, peers=peers)
    suggestion = suggest_target(data, request, lang=lang)
    draft_id = new_id()  # chosen now so that the rephrase's call record names its draft
    text, provenance = _rephrase(engine, suggestion, lang, draft_id=draft_id)
    return ExplainedTarget(
        draft_id=draft_id, request=request, suggestion=suggestion.model_copy(update={"rationale": text}),
        provenance=provenance, inputs=_inputs(data, request, lang),
    )  # fmt: skip


def store_target(
    session: Session, principal: Principal, explained: ExplainedTarget, *, open_limit: int
) -> TargetDraft:
    """Store an explained suggestion as a pending draft, in the caller's transaction."""
    draft = create_draft(
        session, kind=DRAFT_KIND, employee_id=explained.request.employee_id, requester=principal,
        inputs=explained.inputs, output=explained.suggestion, provenance=explained.provenance,
        draft_id=explained.draft_id, open_limit=open_limit,
    )  # fmt: skip
    return TargetDraft(
        draft_id=draft.id, suggestion=explained.suggestion, provenance=explained.provenance
    )


def suggest_and_draft(
    db: Engine,
    principal: Principal,
    request: TargetRequest,
    *,
    engine: ChatEngine,
    open_limit: int,
    lang: str = "zh",
    peers: PeerScope = "department",
) -> TargetDraft:
    """Suggest a range for one employee and metric, and store it as a pending draft.

    Read, then ask the LLM with no connection held, then write in a short transaction of
    its own: a slow LLM cannot exhaust the connection pool.
    """
    explained = explain_target(db, principal, request, engine=engine, lang=lang, peers=peers)
    with session_scope(db) as session:
        return store_target(session, principal, explained, open_limit=open_limit)


def suggest_batch_and_draft(
    session: Session,
    principal: Principal,
    requests: Sequence[TargetRequest],
    *,
    open_limit: int,
    lang: str = "zh",
    peers: PeerScope = "department",
) -> list[TargetDraft | CoachError]:
    """Suggest many ranges at once (template rationales, no LLM), each stored as a draft.

    An item that fails keeps its place as the error (`Forbidden` or a `TargetError`).
    """
    refused: list[Forbidden | None] = []
    for request in requests:
        try:
            _check_scope(session, principal, request.employee_id)
            refused.append(None)
        except Forbidden as exc:
            refused.append(exc)
    data = load_target_data(session, {r.metric for r in requests}, peers=peers)
    allowed = [r for r, no in zip(requests, refused, strict=True) if no is None]
    computed = iter(suggest_targets(data, allowed, lang=lang))
    provenance = Provenance(provider="offline", model=OFFLINE_MODEL, template_id=RATIONALE_TEMPLATE)
    results: list[TargetDraft | CoachError] = []
    for request, no in zip(requests, refused, strict=True):
        if no is not None:
            results.append(no)
            continue
        outcome = next(computed)
        if isinstance(outcome, TargetError):
            results.append(outcome)
            continue
        draft = create_draft(
            session, kind=DRAFT_KIND, employee_id=request.employee_id, requester=principal,
            inputs={"request": request.model_dump(), "lang": lang}, output=outcome, provenance=provenance,
            open_limit=open_limit,
        )  # fmt: skip
        results.append(TargetDraft(draft_id=draft.id, suggestion=outcome, provenance=provenance))
    return results


def _make_official(
    session: Session, draft: Draft, final: dict[str, Any], principal: Principal
) -> None:
    """Approval turns the range into the employee's official target for that period."""
    request = draft.inputs.get("request", {})
    metric, period = (
        request.get("metric") or draft.output["metric"],
        request.get("period") or draft.output["period"],
    )
    suggested = {k: draft.output[k] for k in ("commit", "target", "stretch")}
    approved = {k: float(final[k]) for k in ("commit", "target", "stretch")}
    row = session.exec(
        select(OfficialTarget).where(
            OfficialTarget.employee_id == draft.employee_id,
            OfficialTarget.metric == metric,
            OfficialTarget.period == period,
        )
    ).first()
    before = (
        None
        if row is None
        else {"commit": row.commit, "target": row.target, "stretch": row.stretch}
    )
    row = row or OfficialTarget(employee_id=draft.employee_id, metric=metric, period=period,
                                commit=0, target=0, stretch=0, draft_id=draft.id, approved_by="")  # fmt: skip
    row.commit, row.target, row.stretch = (
        approved["commit"],
        approved["target"],
        approved["stretch"],
    )
    row.suggested = suggested
    row.difference = {k: round(approved[k] - suggested[k], 6) for k in approved}
    row.draft_id = draft.id
    row.approved_by = principal.name
    session.add(row)
    session.flush()
    record_event(
        session, actor=principal.label, action="target.official", object_type="official_target",
        object_id=f"{draft.employee_id}/{metric}/{period}", before=before, after=approved,
        detail={"draft_id": draft.id, "difference": row.difference},
    )  # fmt: skip


LEVELS = ("commit", "target", "stretch")


def reworded_rationale(draft: Draft, final: dict[str, Any]) -> dict[str, Any]:
    """An edited range with its rationale rendered again from the approved levels.

    The engine's basis and probabilities stay as they were; only the levels quoted change, so
    the sentences never state a number nobody approved (an LLM rephrase of the AI levels is
    replaced by the template text).
    """
    ai = draft.output
    content = {**ai, **final}
    if all(float(content[k]) == float(ai[k]) for k in LEVELS):
        return content
    info = MetricInfo(
        metric=str(ai["metric"]), unit=str(ai.get("unit") or ""),
        direction=ai.get("direction") or "higher_is_better",
    )  # fmt: skip
    text, numbers = build_rationale(
        info=info, period=str(ai["period"]),
        commit=float(content["commit"]), target=float(content["target"]),
        stretch=float(content["stretch"]),
        commit_probability=float(ai["commit_probability"]),
        stretch_probability=float(ai["stretch_probability"]),
        basis=Basis.model_validate(ai["basis"]), integer_valued=bool(ai.get("integer_valued")),
        lang=str(draft.inputs.get("lang") or "zh"),
    )  # fmt: skip
    return {**content, "rationale": text, "rationale_numbers": numbers}


TARGET_DRAFT_KIND = DraftKind(
    DRAFT_KIND,
    schema=TargetRange,
    on_approved=_make_official,
    on_edited=reworded_rationale,
    label=("目标区间", "Target range"),
)
