"""Review-cycle batches: many drafts of one kind, generated in the background, resumable.

A batch's state lives in the database: a job and one item per employee. An item goes
queued -> running -> done | failed. It becomes `running` in the same transaction that
creates its `generating` draft, so whatever stops the process (a crash, a restart), a
new runner finds each unfinished item with the draft it was filling and fills that same
draft: nothing is redone and nothing is generated twice. Items run concurrently, at most
COACH_LLM_CONCURRENCY at a time, through `chains.service.generate`, which falls back to the
offline engine on any LLM fault, so a failing LLM slows a batch but does not fail it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from coach.chains import service
from coach.core.audit import record_event
from coach.core.db import session_scope
from coach.core.errors import CoachError, Forbidden, InvalidInput, NotFound
from coach.core.models import (
    BatchItem,
    BatchItemStatus,
    BatchJob,
    BatchStatus,
    Draft,
    DraftStatus,
    Employee,
    Role,
    User,
    utcnow,
)
from coach.core.settings import Settings
from coach.drafts.store import begin_draft
from coach.knowledge import KnowledgeBase
from coach.llm import ChatEngine
from coach.org.access import report_ids
from coach.org.users import Principal
from coach.targets import TargetRequest
from coach.targets.service import explain_target, store_target

logger = logging.getLogger("coach.batches")

BatchKind = Literal["feedback", "checkin_topics", "development", "target"]
MAX_ITEMS = 2000
UNFINISHED = (BatchItemStatus.queued, BatchItemStatus.running)


class BatchCreate(BaseModel):
    """Whom a batch covers and what it asks for; with no selection, a manager's reports."""

    kind: BatchKind
    employee_ids: list[str] | None = Field(default=None, max_length=MAX_ITEMS)
    team: str | None = Field(default=None, max_length=200)
    manager_id: str | None = Field(default=None, max_length=64, description="Everyone below.")
    cycle: str = Field(default="latest", max_length=10, description="For feedback.")
    date: dt.date | None = Field(default=None, description="As of this day; today if omitted.")
    lang: Literal["zh", "en"] = "zh"
    metric: str | None = Field(default=None, max_length=64, description="For targets.")
    period: str | None = Field(default=None, max_length=10, description="For targets.")


class BatchItemPublic(BaseModel):
    employee_id: str
    status: BatchItemStatus
    draft_id: str | None
    error: str | None


class BatchPublic(BaseModel):
    id: str
    kind: str
    status: BatchStatus
    total: int
    done: int
    failed: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    items: list[BatchItemPublic] = Field(default_factory=list)


def _selected(session: Session, principal: Principal, body: BatchCreate) -> list[str]:
    if principal.role not in (Role.hr, Role.manager):
        raise Forbidden(f"batches are for HR and managers, not a {principal.role.value}")
    if body.employee_ids is not None:
        wanted = list(dict.fromkeys(body.employee_ids))
    elif body.team is not None:
        rows = select(Employee.employee_id).where(Employee.team == body.team)
        wanted = list(session.exec(rows.order_by(col(Employee.employee_id))).all())
    elif body.manager_id is not None:
        wanted = sorted(report_ids(session, body.manager_id))
    elif principal.role == Role.manager and principal.employee_id:
        wanted = sorted(report_ids(session, principal.employee_id))
    else:
        raise InvalidInput("employee_ids", "name the employees, a team or a manager_id")
    if not wanted:
        raise InvalidInput("employee_ids", "the selection is empty")
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput("employee_ids", f"{len(wanted)} employees exceed {MAX_ITEMS}")
    known = set(
        session.exec(select(Employee.employee_id).where(col(Employee.employee_id).in_(wanted)))
    )
    if missing := [e for e in wanted if e not in known]:
        raise NotFound("employee", missing[0])
    if principal.role == Role.manager:
        mine = report_ids(session, principal.employee_id) if principal.employee_id else set()
        if outside := [e for e in wanted if e not in mine]:
            raise Forbidden(f"employee {outside[0]!r} is not one of your reports")
    return wanted


def create_batch(session: Session, principal: Principal, body: BatchCreate) -> BatchJob:
    """Record a batch and its queued items; `run_batch` does the work."""
    if body.kind == "target" and not (body.metric and body.period):
        raise InvalidInput("metric", "a target batch needs metric and period")
    employee_ids = _selected(session, principal, body)
    params = body.model_dump(mode="json", exclude={"employee_ids", "team", "manager_id"})
    job = BatchJob(
        kind=body.kind, requester_id=principal.user_id, params=params, total=len(employee_ids)
    )
    session.add(job)
    session.flush()
    session.add_all(BatchItem(job_id=job.id, employee_id=e) for e in employee_ids)
    record_event(
        session, actor=principal.label, action="batch.create", object_type="batch",
        object_id=job.id, detail={"kind": body.kind, "total": len(employee_ids)},
    )  # fmt: skip
    return job


def submit(db: Engine, principal: Principal, body: BatchCreate) -> BatchPublic:
    """Create a batch in its own transaction (a runner must be able to find it)."""
    with session_scope(db) as session:
        job = create_batch(session, principal, body)
        session.flush()
        return to_public(session, job, items=False)


def to_public(session: Session, job: BatchJob, *, items: bool = True) -> BatchPublic:
    """A batch with its progress counts (and items)."""
    counts = dict(
        session.exec(
            select(BatchItem.status, func.count())
            .where(BatchItem.job_id == job.id)
            .group_by(col(BatchItem.status))
        ).all()
    )
    rows = (
        session.exec(
            select(BatchItem).where(BatchItem.job_id == job.id).order_by(col(BatchItem.id))
        ).all()
        if items
        else []
    )
    return BatchPublic(
        id=job.id, kind=job.kind, status=job.status, total=job.total,
        done=counts.get(BatchItemStatus.done, 0), failed=counts.get(BatchItemStatus.failed, 0),
        created_at=job.created_at, finished_at=job.finished_at,
        items=[BatchItemPublic(employee_id=r.employee_id, status=r.status, draft_id=r.draft_id,
                               error=r.error) for r in rows],
    )  # fmt: skip


def get_batch(session: Session, principal: Principal, job_id: str) -> BatchJob:
    """A batch, for HR or the person who asked for it."""
    job = session.get(BatchJob, job_id)
    if job is None:
        raise NotFound("batch", job_id)
    if principal.role != Role.hr and job.requester_id != principal.user_id:
        raise Forbidden(f"batch {job_id!r} belongs to someone else")
    return job


# --- the runner -------------------------------------------------------------------------


def _requester(session: Session, job: BatchJob) -> Principal:
    user = session.get(User, job.requester_id)
    if user is None or user.id is None or user.disabled:
        raise Forbidden(f"the requester of batch {job.id} no longer has access")
    return Principal(user_id=user.id, name=user.name, role=user.role, employee_id=user.employee_id)


def _unfinished(db: Engine, job_id: str) -> tuple[BatchJob, Principal | None, list[BatchItem]]:
    with Session(db) as session:
        job = session.get(BatchJob, job_id)
        if job is None:
            raise NotFound("batch", job_id)
        try:
            principal: Principal | None = _requester(session, job)
        except Forbidden:
            principal = None
        rows = session.exec(
            select(BatchItem)
            .where(BatchItem.job_id == job_id, col(BatchItem.status).in_(UNFINISHED))
            .order_by(col(BatchItem.id))
        ).all()
        return job, principal, list(rows)


def _claim(
    db: Engine, item_id: int, principal: Principal, kind: str, params: dict[str, Any]
) -> tuple[str | None, DraftStatus | None]:
    """Mark an item running and make sure it has a draft; its draft id and status."""
    with session_scope(db) as session:
        item = session.get(BatchItem, item_id, with_for_update=True)
        assert item is not None
        item.attempts += 1
        item.status, item.updated_at = BatchItemStatus.running, utcnow()
        if item.draft_id is not None:
            draft = session.get(Draft, item.draft_id)
            return item.draft_id, draft.status if draft else None
        if kind == "target":
            return None, None  # a target draft is created whole, in the item's final transaction
        draft = begin_draft(
            session, kind=kind, employee_id=item.employee_id, requester=principal,
            inputs={"request": params, "batch_id": item.job_id},
        )  # fmt: skip
        item.draft_id = draft.id
        return draft.id, DraftStatus.generating


def _settle(db: Engine, item_id: int, *, error: str | None, draft_id: str | None = None) -> None:
    with session_scope(db) as session:
        item = session.get(BatchItem, item_id)
        assert item is not None
        item.status = BatchItemStatus.failed if error else BatchItemStatus.done
        item.error, item.updated_at = error, utcnow()
        item.draft_id = draft_id or item.draft_id


def _target(
    db: Engine,
    item_id: int,
    principal: Principal,
    chat: ChatEngine,
    params: dict[str, Any],
    open_limit: int,
) -> None:
    with Session(db) as session:
        item = session.get(BatchItem, item_id)
        assert item is not None
        request = TargetRequest(
            employee_id=item.employee_id, metric=params["metric"], period=params["period"]
        )
    explained = explain_target(db, principal, request, engine=chat, lang=params["lang"])
    with session_scope(db) as session:
        item = session.get(BatchItem, item_id)
        assert item is not None
        drafted = store_target(session, principal, explained, open_limit=open_limit)
        # Same transaction as the draft: a crash before commit leaves neither behind.
        item.draft_id, item.status, item.updated_at = (
            drafted.draft_id,
            BatchItemStatus.done,
            utcnow(),
        )
        item.error = None


async def _run_item(
    db: Engine,
    job: BatchJob,
    principal: Principal,
    item: BatchItem,
    *,
    chat: ChatEngine,
    settings: Settings,
    knowledge: KnowledgeBase | None,
) -> None:
    assert item.id is not None
    params = job.params
    draft_id, status = await asyncio.to_thread(_claim, db, item.id, principal, job.kind, params)
    if status in (DraftStatus.pending, DraftStatus.approved, DraftStatus.rejected):
        await asyncio.to_thread(_settle, db, item.id, error=None)  # finished before a crash
        return
    if status == DraftStatus.failed:
        await asyncio.to_thread(_settle, db, item.id, error="draft failed before a restart")
        return
    try:
        if job.kind == "target":
            await asyncio.to_thread(
                _target, db, item.id, principal, chat, params, settings.max_open_requests
            )
            return
        await service.generate(
            db, principal, kind=job.kind, employee_id=item.employee_id, chat=chat,  # type: ignore[arg-type]
            settings=settings, knowledge=knowledge,
            as_of=dt.date.fromisoformat(params["date"]) if params.get("date") else dt.date.today(),
            cycle=params.get("cycle"), lang=params.get("lang", "zh"),
            request={**params, "employee_id": item.employee_id, "batch_id": job.id},
            draft_id=draft_id,
        )  # fmt: skip
    except CoachError as exc:
        # The draft (if any) already says why; the item keeps the reason for the progress view.
        await asyncio.to_thread(_settle, db, item.id, error=f"{type(exc).__name__}: {exc}")
        return
    await asyncio.to_thread(_settle, db, item.id, error=None)


def _finish(db: Engine, job_id: str) -> None:
    with session_scope(db) as session:
        left = session.exec(
            select(func.count()).select_from(BatchItem)
            .where(BatchItem.job_id == job_id, col(BatchItem.status).in_(UNFINISHED))
        ).one()  # fmt: skip
        job = session.get(BatchJob, job_id)
        if job is not None and left == 0 and job.status != BatchStatus.done:
            job.status, job.finished_at = BatchStatus.done, utcnow()


async def run_batch(
    db: Engine,
    job_id: str,
    *,
    chat: ChatEngine,
    settings: Settings,
    knowledge: Callable[[], KnowledgeBase] | None = None,
    slots: asyncio.Semaphore | None = None,
) -> None:
    """Generate every unfinished item of a batch, `slots` (or COACH_LLM_CONCURRENCY) at a time.

    `knowledge` opens the practice library; it is called only for a development batch.
    """
    job, principal, items = await asyncio.to_thread(_unfinished, db, job_id)
    slots = slots or asyncio.Semaphore(settings.llm_concurrency)
    library = None
    if job.kind == "development" and items and knowledge is not None:
        library = await asyncio.to_thread(knowledge)

    async def one(item: BatchItem) -> None:
        async with slots:
            assert principal is not None
            await _run_item(
                db, job, principal, item, chat=chat, settings=settings, knowledge=library
            )

    if principal is None:
        for item in items:
            assert item.id is not None
            await asyncio.to_thread(
                _settle, db, item.id, error="the requester no longer has access"
            )
    else:
        await asyncio.gather(*(one(item) for item in items))
    await asyncio.to_thread(_finish, db, job_id)
    logger.info("batch %s finished", job_id)


def unfinished_batches(db: Engine) -> list[str]:
    """Ids of batches with work left, oldest first."""
    with Session(db) as session:
        return list(
            session.exec(
                select(BatchJob.id).where(BatchJob.status == BatchStatus.running)
                .order_by(col(BatchJob.created_at))
            ).all()
        )  # fmt: skip


async def resume_unfinished(
    db: Engine,
    *,
    chat: ChatEngine,
    settings: Settings,
    knowledge: Callable[[], KnowledgeBase] | None = None,
) -> list[str]:
    """Run every unfinished batch to its end (after a crash or restart); their ids."""
    ids = await asyncio.to_thread(unfinished_batches, db)
    slots = asyncio.Semaphore(settings.llm_concurrency)
    for job_id in ids:
        await run_batch(db, job_id, chat=chat, settings=settings, knowledge=knowledge, slots=slots)
    return ids
