"""Who may ask for a coaching draft, loading its evidence and storing the result.

These functions block (database, retrieval); the API runs them in a thread pool.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from coach.auth import Principal
from coach.chains.records import Directory, Lang, Purpose, Snapshot, load_directory, load_snapshot
from coach.chains.runner import ChainResult
from coach.db import session_scope
from coach.drafts import Provenance, create_draft
from coach.errors import Forbidden, NotFound
from coach.llm import ChatEngine, OfflineEngine
from coach.models import DraftStatus, Employee, Role
from coach.org import manages
from coach.settings import Settings


class StoredDraft(BaseModel):
    """What a coaching endpoint answers: the pending draft and its content."""

    draft_id: str
    status: DraftStatus
    provenance: Provenance
    output: dict[str, Any]


def authorize(session: Session, principal: Principal, employee_id: str, kind: Purpose) -> None:
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
    purpose: Purpose,
    as_of: date,
    cycle: str | None = None,
    lang: Lang = "zh",
) -> tuple[Snapshot, Directory]:
    """Check the caller's right, then load the person's evidence and the name directory."""
    with Session(engine) as session:
        authorize(session, principal, employee_id, purpose)
        directory = load_directory(session)
        snapshot = load_snapshot(
            session,
            directory,
            employee_id=employee_id,
            purpose=purpose,
            as_of=as_of,
            cycle=cycle,
            lang=lang,
        )
    return snapshot, directory


def engine_for(kind: str, engine: ChatEngine, settings: Settings) -> tuple[ChatEngine, str | None]:
    """The engine a kind may use: the offline one when COACH_LLM_LOCAL_ONLY lists the kind."""
    if engine.provider != "offline" and kind in settings.llm_local_only_kinds:
        reason = f"COACH_LLM_LOCAL_ONLY lists {kind!r}: answered offline, nothing sent to {engine.provider}"
        return OfflineEngine(engine.call_log), reason
    return engine, None


def store(
    engine: Engine,
    principal: Principal,
    *,
    kind: str,
    snapshot: Snapshot,
    result: ChainResult[Any],
    request: dict[str, Any],
) -> StoredDraft:
    """Store the chain's output as a pending draft with its full inputs snapshot."""
    inputs = {
        "request": request,
        "snapshot": snapshot.model_dump(mode="json"),
        "attempts": [
            {"provider": a.provider, "violations": a.violations, "vague": a.vague, "error": a.error}
            for a in result.attempts
        ],
    }
    with session_scope(engine) as session:
        draft = create_draft(
            session,
            kind=kind,
            employee_id=snapshot.profile.id,
            requester=principal,
            inputs=inputs,
            output=result.output,
            provenance=result.provenance,
        )
        return StoredDraft(
            draft_id=draft.id,
            status=draft.status,
            provenance=result.provenance,
            output=draft.output,
        )
