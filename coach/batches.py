"""Review-cycle batches: many drafts of one kind, generated in the background, resumable.

A batch's state lives in the database: a job and one item per employee. An item goes
queued -> running -> done | failed. Any number of workers (one per process, `BatchWorker`)
share the work: a worker claims an item by taking its lease (owner id, expiry) in the same
transaction that creates the item's `generating` draft, renews the lease while it generates,
and settles the item only while it still holds it. A worker that dies leaves its items
running under leases that expire; another worker then takes each one over and fills the
draft it already has: nothing finished is redone, no item gets a second draft, and a late
settle from a worker that lost its lease changes nothing. Each worker generates at most
COACH_LLM_CONCURRENCY items at a time, through `chains.service.generate`, which falls back
to the offline engine on any LLM fault, so a failing LLM slows a batch but does not fail it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Engine, and_, func, or_, update
from sqlalchemy.exc import SQLAlchemyError
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
    """Record a batch and its queued items; a `BatchWorker` does the work."""
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
    """Create a batch in its own transaction (a worker must be able to find it)."""
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


# --- claiming: leases on items ----------------------------------------------------------

READY = (DraftStatus.pending, DraftStatus.approved, DraftStatus.rejected)


def worker_id() -> str:
    """An owner id for leases, unique to one worker of one process on one host."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Claim:
    """A batch item leased to a worker, with what running it needs."""

    item_id: int
    job_id: str
    kind: str
    params: dict[str, Any]
    employee_id: str
    principal: Principal | None  # None: the requester no longer has access
    draft_id: str | None
    draft_status: DraftStatus | None


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    """Queued, or running under a lease that has run out (no lease: an older version's)."""
    expires = col(BatchItem.lease_expires_at)
    lapsed = or_(expires.is_(None), expires < now)
    return or_(
        col(BatchItem.status) == BatchItemStatus.queued,
        and_(col(BatchItem.status) == BatchItemStatus.running, lapsed),
    )


def _next_claimable(session: Session, job_id: str | None) -> int | None:
    query = select(BatchItem.id).where(_claimable(utcnow()))
    if job_id is not None:
        query = query.where(BatchItem.job_id == job_id)
    # PostgreSQL locks the row found and skips rows other claimers hold, so claimers never
    # wait for each other. SQLite renders no lock clause: the conditional UPDATE decides.
    query = query.order_by(col(BatchItem.id)).limit(1).with_for_update(skip_locked=True)
    return session.exec(query).first()


def _take_lease(session: Session, item_id: int, owner: str, seconds: float) -> bool:
    """Lease the item to `owner` if it is still claimable; whether it was."""
    now = utcnow()
    taken = session.execute(
        update(BatchItem)
        .where(col(BatchItem.id) == item_id, _claimable(now))
        .values(
            status=BatchItemStatus.running, lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=seconds),
            attempts=col(BatchItem.attempts) + 1, updated_at=now,
        )
    )  # fmt: skip
    return taken.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _requester(session: Session, job: BatchJob) -> Principal | None:
    user = session.get(User, job.requester_id)
    if user is None or user.id is None or user.disabled:
        return None
    return Principal(user_id=user.id, name=user.name, role=user.role, employee_id=user.employee_id)


def _leased(session: Session, item_id: int) -> Claim:
    """The claim on an item just leased, creating its draft if it has none yet."""
    item = session.get(BatchItem, item_id, populate_existing=True)
    assert item is not None
    job = session.get(BatchJob, item.job_id)
    assert job is not None
    principal = _requester(session, job)
    status = None
    if item.draft_id is not None:
        draft = session.get(Draft, item.draft_id)
        status = draft.status if draft else None
    elif principal is not None and job.kind != "target":
        # A target draft is created whole, in the item's final transaction (`_target`).
        draft = begin_draft(
            session, kind=job.kind, employee_id=item.employee_id, requester=principal,
            inputs={"request": job.params, "batch_id": job.id},
        )  # fmt: skip
        item.draft_id, status = draft.id, DraftStatus.generating
    return Claim(
        item_id=item_id, job_id=job.id, kind=job.kind, params=job.params,
        employee_id=item.employee_id, principal=principal, draft_id=item.draft_id,
        draft_status=status,
    )  # fmt: skip


def _claim(db: Engine, owner: str, *, seconds: float, job_id: str | None = None) -> Claim | None:
    """Lease the next claimable item (of one batch, or any) to `owner`; None if there is none.

    The draft id is stored on the item in the same transaction, so an item taken over after
    its lease expired is given the draft it already has, never a second one.
    """
    with session_scope(db) as session:
        # On SQLite two claimers may find the same item; the loser's UPDATE matches no row and,
        # holding the write lock from then on, it finds the next one.
        while (item_id := _next_claimable(session, job_id)) is not None:
            if _take_lease(session, item_id, owner, seconds):
                return _leased(session, item_id)
        return None


def _running_under(item_id: int, owner: str) -> ColumnElement[bool]:
    return and_(
        col(BatchItem.id) == item_id, col(BatchItem.lease_owner) == owner,
        col(BatchItem.status) == BatchItemStatus.running,
    )  # fmt: skip


def _set_lease(db: Engine, item_id: int, owner: str, *, seconds: float) -> bool:
    """End `owner`'s lease on a running item `seconds` from now (0 hands it on at once).

    False if the item is no longer running under `owner`'s lease.
    """
    with session_scope(db) as session:
        renewed = session.execute(
            update(BatchItem)
            .where(_running_under(item_id, owner))
            .values(lease_expires_at=utcnow() + dt.timedelta(seconds=seconds))
        )  # fmt: skip
        return renewed.rowcount == 1  # type: ignore[attr-defined, no-any-return]


# --- settling: each item, and its batch, finish once ------------------------------------


def _held(session: Session, item_id: int, owner: str) -> BatchItem | None:
    """The item, locked, if it is still running under `owner`'s lease; else None."""
    # A conditional UPDATE checks the lease and takes the row lock (PostgreSQL) or the write
    # lock (SQLite) in one step: no claimer can take the item over between check and write.
    touched = session.execute(
        update(BatchItem)
        .where(_running_under(item_id, owner))
        .values(updated_at=utcnow())
    )  # fmt: skip
    if touched.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(BatchItem, item_id)


def _finish_item(session: Session, item: BatchItem, *, error: str | None) -> None:
    draft = session.get(Draft, item.draft_id) if item.draft_id else None
    if draft is not None and draft.status in READY:
        error = None  # the draft was filled (perhaps by a worker whose lease had run out)
    item.status = BatchItemStatus.failed if error else BatchItemStatus.done
    item.error, item.updated_at, item.lease_expires_at = error, utcnow(), None
    session.add(item)
    session.flush()
    _finish_job_if_last(session, item.job_id)


def _finish_job_if_last(session: Session, job_id: str) -> None:
    # The job's row lock orders the items' last transactions: the one that settles the last
    # item sees every other settled and is the only one to find the job still running. NO KEY
    # UPDATE (key_share) on PostgreSQL: it does not wait for the key-share lock the foreign
    # key check of an item's second UPDATE in one transaction takes on this row, which would
    # otherwise deadlock two settles.
    job = session.get(BatchJob, job_id, with_for_update={"key_share": True})
    left = session.exec(
        select(func.count()).select_from(BatchItem)
        .where(BatchItem.job_id == job_id, col(BatchItem.status).in_(UNFINISHED))
    ).one()  # fmt: skip
    if job is None or left or job.status == BatchStatus.done:
        return
    job.status, job.finished_at = BatchStatus.done, utcnow()
    session.add(job)
    record_event(
        session, actor="system", action="batch.finish", object_type="batch", object_id=job.id,
        detail={"kind": job.kind, "total": job.total},
    )  # fmt: skip
    logger.info("batch %s finished", job_id)


def _settle(db: Engine, item_id: int, owner: str, *, error: str | None) -> bool:
    """Finish an item `owner` still holds: done, or failed with `error`; whether it held it.

    A worker that lost its lease, or an item already finished, changes nothing.
    """
    with session_scope(db) as session:
        item = _held(session, item_id, owner)
        if item is None:
            return False
        _finish_item(session, item, error=error)
        return True


def _target(db: Engine, claim: Claim, owner: str, chat: ChatEngine, settings: Settings) -> None:
    assert claim.principal is not None
    params = claim.params
    request = TargetRequest(
        employee_id=claim.employee_id, metric=params["metric"], period=params["period"]
    )
    explained = explain_target(
        db, claim.principal, request, engine=chat, lang=params["lang"], peers=settings.target_peers
    )
    with session_scope(db) as session:
        item = _held(session, claim.item_id, owner)
        if item is None:
            return  # another worker took the item over: its draft is the one kept
        # Same transaction as the draft: a crash before commit leaves neither behind.
        drafted = store_target(
            session, claim.principal, explained, open_limit=settings.max_open_requests
        )
        item.draft_id = drafted.draft_id
        _finish_item(session, item, error=None)


# --- the worker -------------------------------------------------------------------------

R = TypeVar("R")


async def _to_the_end(step: Callable[[], R], *, undo: Callable[[R], None] | None = None) -> R:
    """Run a database step in a thread, to its end even if the caller is cancelled meanwhile.

    A thread cannot be stopped: a cancelled caller waits for the step's commit, then `undo`es
    it, so that whatever the caller does next on its way out comes after it.
    """
    running = asyncio.ensure_future(asyncio.to_thread(step))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        done = await running
        if undo is not None:
            await asyncio.to_thread(undo, done)
        raise


class BatchWorker:
    """Runs the items of any batch it can lease, a bounded number at a time.

    Each process runs one; any number of them may share a database. A worker renews the
    leases of the items it generates, stops an item whose lease another worker took over,
    and on a clean stop hands its items on at once; a worker that dies leaves them to be
    taken over when their leases expire.
    """

    def __init__(
        self,
        db: Engine,
        *,
        chat: ChatEngine,
        settings: Settings,
        knowledge: Callable[[], KnowledgeBase] | None = None,
        concurrency: int | None = None,
        owner: str | None = None,
    ) -> None:
        self.db, self.chat, self.settings = db, chat, settings
        self.owner = owner or worker_id()
        self.concurrency = concurrency or settings.llm_concurrency
        self._knowledge = knowledge
        self._library: KnowledgeBase | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for claimable items now rather than at the next poll."""
        self._wake.set()

    async def serve(self) -> None:
        """Claim and run items until cancelled: new batches, and items whose lease expired."""
        try:
            while True:
                self._wake.clear()
                try:
                    await self._claim_while_free(None)
                except (CoachError, SQLAlchemyError) as exc:
                    # The database may be briefly unreachable; the next poll tries again.
                    logger.error("claiming batch items failed: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.batch_poll_seconds)
        finally:
            await self._stop()

    async def drain(self, job_id: str | None = None) -> list[str]:
        """Run what is claimable (of one batch, or any) until nothing is; the batches touched."""
        jobs: dict[str, None] = {}
        try:
            while True:
                jobs |= dict.fromkeys(await self._claim_while_free(job_id))
                if not self._running:
                    return list(jobs)
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._stop()

    async def _claim_while_free(self, job_id: str | None) -> list[str]:
        jobs = []
        while len(self._running) < self.concurrency:
            claim = await _to_the_end(
                functools.partial(
                    _claim, self.db, self.owner, seconds=self.settings.batch_lease_seconds,
                    job_id=job_id,
                ),
                undo=self._hand_on,
            )  # fmt: skip
            if claim is None:
                break
            jobs.append(claim.job_id)
            task = asyncio.create_task(self._run(claim), name=f"batch-item-{claim.item_id}")
            self._running.add(task)
            task.add_done_callback(self._ended)
        return jobs

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free
        if not task.cancelled() and (exc := task.exception()) is not None:
            # The item keeps its lease until it expires; then a worker takes it over.
            logger.error("%s stopped: %s", task.get_name(), exc, exc_info=exc)

    async def _stop(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _run(self, claim: Claim) -> None:
        work = asyncio.create_task(self._work(claim))
        try:
            await self._renew_while(work, claim)
        except asyncio.CancelledError:
            work.cancel()
            await asyncio.wait({work})
            await asyncio.to_thread(self._hand_on, claim)
            raise
        if not work.cancelled():
            work.result()

    def _hand_on(self, claim: Claim | None) -> None:
        """A clean stop, not a crash: the item (running, with its draft) is free at once."""
        if claim is not None:
            _set_lease(self.db, claim.item_id, self.owner, seconds=0)

    async def _renew_while(self, work: asyncio.Task[None], claim: Claim) -> None:
        """Renew the lease until `work` ends; stop `work` if another worker took the item."""
        while True:
            done, _ = await asyncio.wait({work}, timeout=self.settings.batch_heartbeat_seconds)
            if done:
                return
            renewed = await _to_the_end(
                functools.partial(
                    _set_lease, self.db, claim.item_id, self.owner,
                    seconds=self.settings.batch_lease_seconds,
                )
            )  # fmt: skip
            if not renewed:
                logger.warning("batch item %s was taken over; stopping it", claim.item_id)
                work.cancel()
                await asyncio.wait({work})
                return

    async def _work(self, claim: Claim) -> None:
        try:
            error = await self._generate(claim)
        except CoachError as exc:
            # The draft (if any) already says why; the item keeps the reason for the progress view.
            error = f"{type(exc).__name__}: {exc}"
        # A target item settled with its draft already; then this changes nothing.
        await asyncio.to_thread(_settle, self.db, claim.item_id, self.owner, error=error)

    async def _generate(self, claim: Claim) -> str | None:
        """Fill the item's draft; the error to settle the item with, or None."""
        if claim.principal is None:
            return "the requester no longer has access"
        if claim.draft_status in READY:
            return None  # finished before a crash or a takeover
        if claim.draft_status == DraftStatus.failed:
            return "draft failed before a restart"
        if claim.kind == "target":
            await asyncio.to_thread(_target, self.db, claim, self.owner, self.chat, self.settings)
            return None
        params = claim.params
        await service.generate(
            self.db, claim.principal, kind=claim.kind, employee_id=claim.employee_id,  # type: ignore[arg-type]
            chat=self.chat, settings=self.settings, knowledge=await self._library_for(claim.kind),
            as_of=dt.date.fromisoformat(params["date"]) if params.get("date") else dt.date.today(),
            cycle=params.get("cycle"), lang=params.get("lang", "zh"),
            request={**params, "employee_id": claim.employee_id, "batch_id": claim.job_id},
            draft_id=claim.draft_id,
        )  # fmt: skip
        return None

    async def _library_for(self, kind: str) -> KnowledgeBase | None:
        if kind != "development" or self._knowledge is None:
            return None
        if self._library is None:
            self._library = await asyncio.to_thread(self._knowledge)
        return self._library


async def run_batch(
    db: Engine,
    job_id: str,
    *,
    chat: ChatEngine,
    settings: Settings,
    knowledge: Callable[[], KnowledgeBase] | None = None,
    concurrency: int | None = None,
) -> None:
    """Run the claimable items of one batch to their end, `concurrency` at a time.

    `knowledge` opens the practice library; it is called only for a development batch.
    """
    worker = BatchWorker(
        db, chat=chat, settings=settings, knowledge=knowledge, concurrency=concurrency
    )
    await worker.drain(job_id)


async def resume_unfinished(
    db: Engine,
    *,
    chat: ChatEngine,
    settings: Settings,
    knowledge: Callable[[], KnowledgeBase] | None = None,
) -> list[str]:
    """Run every claimable item of any batch to its end (after a crash); the batches' ids.

    Items a live worker holds are left to it.
    """
    worker = BatchWorker(db, chat=chat, settings=settings, knowledge=knowledge)
    return await worker.drain()
