"""Who may ask for a coaching draft, loading its evidence and storing the result.

The blocking functions (database, retrieval) run in a thread pool. `generate` is the whole
request: check the caller's right, load the evidence, record the draft as `generating`
before any model is asked, run the chain (which falls back offline on any LLM fault), then
fill the draft and set it `pending`. An unexpected error marks it `failed` with the reason;
a cancelled task (a crash, a shutdown) leaves it `generating` for a batch to resume.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from coach.chains import checkin_topics, development, feedback
from coach.chains.records import CoachingKind, Directory, Lang, Snapshot, load_names, load_snapshot
from coach.chains.runner import ChainResult
from coach.core.db import session_scope
from coach.core.errors import CoachError, Conflict, Forbidden, NotFound
from coach.core.models import Employee, Role
from coach.core.settings import Settings
from coach.drafts.gate import DraftReceipt, sees_pending, shown_to
from coach.drafts.store import GenerationFailed, StoredDraft, begin_draft, fail_draft, finish_draft
from coach.knowledge import KnowledgeBase
from coach.llm import ChatEngine, Deadline, OfflineEngine
from coach.org.access import manages
from coach.org.users import Principal

logger = logging.getLogger("coach.chains")


def authorize(session: Session, principal: Principal, employee_id: str, kind: CoachingKind) -> None:
    """HR for anyone, managers for people below them, employees for their own development."""
    if session.get(Employee, employee_id) is None:
        raise NotFound("employee", employee_id)
    if principal.role == Role.hr:
        return
    if principal.role == Role.manager and manages(session, principal, employee_id):
        return
    if (
        kind == "development"
        and principal.role == Role.employee
        and principal.employee_id == employee_id
    ):
        return
    raise Forbidden(f"a {principal.role.value} may not request a {kind} draft for {employee_id!r}")


def prepare(
    engine: Engine,
    principal: Principal,
    *,
    employee_id: str,
    kind: CoachingKind,
    as_of: date,
    cycle: str | None = None,
    lang: Lang = "zh",
) -> tuple[Snapshot, Directory]:
    """Check the caller's right, then load the person's evidence and the name directory."""
    with Session(engine) as session:
        authorize(session, principal, employee_id, kind)
        snapshot = load_snapshot(
            session, employee_id=employee_id, draft_kind=kind, as_of=as_of, cycle=cycle, lang=lang
        )
        directory = load_names(session, snapshot)
    return snapshot, directory


def engine_for(kind: str, engine: ChatEngine, settings: Settings) -> tuple[ChatEngine, str | None]:
    """The engine a kind may use: the offline one when COACH_LLM_LOCAL_ONLY lists the kind."""
    if engine.provider != "offline" and kind in settings.llm_local_only_kinds:
        reason = f"COACH_LLM_LOCAL_ONLY lists {kind!r}: answered offline, nothing sent to {engine.provider}"
        return OfflineEngine(engine.call_log), reason
    return engine, None


def _inputs(
    request: dict[str, Any], snapshot: Snapshot, result: ChainResult[Any] | None
) -> dict[str, Any]:
    inputs: dict[str, Any] = {"request": request, "snapshot": snapshot.model_dump(mode="json")}
    if result is not None:
        inputs["attempts"] = [
            {"provider": a.provider, "violations": a.violations, "vague": a.vague, "error": a.error}
            for a in result.attempts
        ]
    return inputs


def begin(
    engine: Engine,
    principal: Principal | None,
    *,
    kind: str,
    snapshot: Snapshot,
    request: dict[str, Any],
    open_limit: int,
) -> str:
    """Record the requested draft as generating, with its inputs; returns its id."""
    with session_scope(engine) as session:
        draft = begin_draft(
            session, kind=kind, employee_id=snapshot.profile.id, requester=principal,
            inputs=_inputs(request, snapshot, None), open_limit=open_limit,
        )  # fmt: skip
        return draft.id


def complete(
    engine: Engine,
    draft_id: str,
    *,
    snapshot: Snapshot,
    result: ChainResult[Any],
    request: dict[str, Any],
) -> StoredDraft:
    """Fill a generating draft with the chain's output; it becomes pending."""
    with session_scope(engine) as session:
        draft = finish_draft(
            session, draft_id, inputs=_inputs(request, snapshot, result),
            output=result.output, provenance=result.provenance,
        )  # fmt: skip
        return StoredDraft(
            draft_id=draft.id, status=draft.status, provenance=result.provenance,
            output=draft.output,
        )  # fmt: skip


def fail(engine: Engine, draft_id: str, *, reason: str) -> None:
    """Mark a generating draft as failed."""
    with session_scope(engine) as session:
        fail_draft(session, draft_id, reason=reason)


async def generate(
    db: Engine,
    principal: Principal,
    *,
    kind: CoachingKind,
    employee_id: str,
    chat: ChatEngine,
    settings: Settings,
    knowledge: KnowledgeBase | None = None,
    as_of: date,
    cycle: str | None = None,
    lang: Lang = "zh",
    request: dict[str, Any],
    draft_id: str | None = None,
) -> StoredDraft | DraftReceipt:
    """One coaching draft from request to pending; `draft_id` fills a generating draft instead.

    The answer carries the content only for a caller who may read it (`coach.drafts.gate.shown_to`).

    Without `draft_id`, a refused request (unknown employee, no right) creates no draft.
    With it (a batch item, created beforehand), any error marks that draft failed.
    """
    # The deadline covers the whole request: loading the records counts, not only the LLM.
    deadline = Deadline.after(settings.llm_deadline)
    load = functools.partial(
        prepare, db, principal, employee_id=employee_id, kind=kind, as_of=as_of,
        cycle=cycle, lang=lang,
    )  # fmt: skip
    prepared: tuple[Snapshot, Directory] | None = None
    if draft_id is None:
        prepared = await asyncio.to_thread(load)
        draft_id = await asyncio.to_thread(
            begin,
            db,
            principal,
            kind=kind,
            snapshot=prepared[0],
            request=request,
            open_limit=settings.max_open_requests,
        )
    try:
        if prepared is None:
            prepared = await asyncio.to_thread(load)
        snapshot, directory = prepared
        engine, reason = engine_for(kind, chat, settings)
        result: ChainResult[Any]
        if kind == checkin_topics.KIND:
            result = await checkin_topics.suggest_topics(
                snapshot, directory, engine=engine, policy_reason=reason, deadline=deadline,
                draft_id=draft_id,
            )  # fmt: skip
        elif kind == feedback.KIND:
            result = await feedback.draft_feedback(
                snapshot, directory, engine=engine, policy_reason=reason, deadline=deadline,
                draft_id=draft_id,
            )  # fmt: skip
        else:
            if knowledge is None:
                raise Conflict("development drafts need the practice library; none is loaded")
            gaps = development.find_gaps(snapshot)
            matches = await asyncio.to_thread(development.retrieve, knowledge, gaps)
            snapshot = development.with_practices(snapshot, matches)
            result = await development.suggest_development(
                snapshot, directory, matches, engine=engine, policy_reason=reason,
                deadline=deadline, draft_id=draft_id,
            )  # fmt: skip
        stored = await asyncio.to_thread(
            complete, db, draft_id, snapshot=snapshot, result=result, request=request
        )
    except Exception as exc:
        # Not swallowed: the draft records why it failed and the error goes on to the caller.
        # (Cancellation is not an Exception: a cancelled draft stays generating, resumable.)
        why = f"{type(exc).__name__}: {exc}"
        logger.error("draft %s (%s for %s) failed: %s", draft_id, kind, employee_id, why)
        await asyncio.to_thread(fail, db, draft_id, reason=why)
        if isinstance(exc, CoachError):
            raise  # a refusal about the request itself (e.g. 409 no records): same status as before
        # The reason may quote what the chain produced: it is for those who may read the draft.
        if not await asyncio.to_thread(_sees_pending, db, principal, employee_id):
            why = "原因已记录在草稿上,由经理查看 (the reason is recorded on the draft for the manager)"
        raise GenerationFailed(draft_id, why) from exc
    return await asyncio.to_thread(
        for_caller, db, principal, stored, kind=kind, employee_id=employee_id
    )


def _sees_pending(engine: Engine, principal: Principal, employee_id: str) -> bool:
    with Session(engine) as session:
        return sees_pending(session, principal, employee_id)


def for_caller(
    engine: Engine, principal: Principal, stored: StoredDraft, *, kind: str, employee_id: str
) -> StoredDraft | DraftReceipt:
    """The stored draft for a caller who decides on it (or HR); anyone else gets a receipt."""
    with Session(engine) as session:
        return shown_to(
            session, principal, stored, draft_id=stored.draft_id, kind=kind,
            status=stored.status, employee_id=employee_id,
        )  # fmt: skip
