"""Batch items are done exactly once, however many workers run the same batches at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from coach.batches import BatchCreate, _claim, _set_lease, _settle, run_batch, submit
from coach.chains import service
from coach.core.models import (
    AuditEvent,
    BatchItem,
    BatchItemStatus,
    BatchJob,
    BatchStatus,
    Draft,
    DraftStatus,
    Employee,
    utcnow,
)
from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.llm import OfflineEngine, StructuredCall
from coach.org.users import Principal, authenticate
from tests.chains.conftest import AS_OF, build_app

T = TypeVar("T", bound=BaseModel)


def _everyone(app: FastAPI) -> list[str]:
    with Session(app.state.engine) as session:
        return list(
            session.exec(select(Employee.employee_id).order_by(col(Employee.employee_id))).all()
        )


def _hr(app: FastAPI) -> Principal:
    with Session(app.state.engine) as session:
        hr = authenticate(session, app.state.demo_tokens.hr)
    assert hr is not None
    return hr


def _items(db: Engine, job_id: str) -> list[BatchItem]:
    with Session(db) as session:
        query = select(BatchItem).where(BatchItem.job_id == job_id).order_by(col(BatchItem.id))
        return list(session.exec(query).all())


def assert_each_item_done_once(db: Engine, job_id: str, employee_ids: list[str]) -> None:
    """Every item done with its own draft, one draft per employee, the batch finished once."""
    items = _items(db, job_id)
    with Session(db) as session:
        drafts = session.exec(select(Draft)).all()
        finished = session.exec(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.action == "batch.finish", AuditEvent.object_id == job_id)
        ).one()  # fmt: skip
        job = session.get(BatchJob, job_id)
    assert Counter(i.status for i in items) == Counter({BatchItemStatus.done: len(employee_ids)})
    assert [i.error for i in items] == [None] * len(items)
    assert Counter(d.employee_id for d in drafts) == Counter(employee_ids)
    assert {i.draft_id for i in items} == {d.id for d in drafts}
    assert {d.status for d in drafts} == {DraftStatus.pending}
    assert job is not None and job.status == BatchStatus.done and finished == 1


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_running_one_batch_at_once_do_each_item_once(
    settings: Settings, knowledge: KnowledgeBase, workers: int
) -> None:
    app = build_app(settings, knowledge)
    db, ids = app.state.engine, _everyone(app)
    job = submit(db, _hr(app), BatchCreate(kind="checkin_topics", employee_ids=ids, date=AS_OF))
    start = threading.Barrier(workers)

    def worker() -> None:  # each run is a worker of its own, with its own owner id
        start.wait()
        asyncio.run(run_batch(db, job.id, chat=OfflineEngine(), settings=settings))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert_each_item_done_once(db, job.id, ids)
    assert {i.attempts for i in _items(db, job.id)} == {1}
    assert _claim(db, "late-worker", seconds=60) is None  # a finished item is never run again


def test_an_expired_lease_is_taken_over_and_the_stale_owner_cannot_settle(
    settings: Settings, knowledge: KnowledgeBase
) -> None:
    app = build_app(settings, knowledge)
    db, ids = app.state.engine, _everyone(app)[:3]
    job = submit(db, _hr(app), BatchCreate(kind="checkin_topics", employee_ids=ids, date=AS_OF))
    # Worker A claims an item and stops renewing (a lease of 0 s has run out at once).
    stale = _claim(db, "worker-a", seconds=0)
    assert stale is not None and stale.draft_status == DraftStatus.generating

    asyncio.run(run_batch(db, job.id, chat=OfflineEngine(), settings=settings))

    assert not _settle(db, stale.item_id, "worker-a", error="a late failure")
    assert not _set_lease(db, stale.item_id, "worker-a", seconds=60)
    assert_each_item_done_once(db, job.id, ids)
    taken = next(i for i in _items(db, job.id) if i.id == stale.item_id)
    assert taken.draft_id == stale.draft_id and taken.attempts == 2  # the same draft, filled


def test_a_live_lease_is_not_taken_over(settings: Settings, knowledge: KnowledgeBase) -> None:
    app = build_app(settings, knowledge)
    db = app.state.engine
    submit(db, _hr(app), BatchCreate(kind="checkin_topics", employee_ids=["E001"], date=AS_OF))
    held = _claim(db, "worker-a", seconds=60)
    assert held is not None
    assert _claim(db, "worker-b", seconds=60) is None
    assert _set_lease(db, held.item_id, "worker-a", seconds=60)  # the holder renews


def test_a_settle_after_the_draft_was_filled_marks_the_item_done(
    settings: Settings, knowledge: KnowledgeBase
) -> None:
    # Two workers filled one draft: the second's fill fails with a conflict (the draft is no
    # longer generating), yet the draft exists and succeeded, so the item is done, not failed.
    app = build_app(settings, knowledge)
    db, hr = app.state.engine, _hr(app)
    job = submit(db, hr, BatchCreate(kind="checkin_topics", employee_ids=["E001"], date=AS_OF))
    claim = _claim(db, "worker-b", seconds=60)
    assert claim is not None
    asyncio.run(
        service.generate(
            db, hr, kind="checkin_topics", employee_id="E001", chat=OfflineEngine(),
            settings=settings, as_of=AS_OF, request={"batch_id": job.id}, draft_id=claim.draft_id,
        )
    )  # fmt: skip

    assert _settle(db, claim.item_id, "worker-b", error="Conflict: draft is pending")

    assert_each_item_done_once(db, job.id, ["E001"])


class HeldEngine(OfflineEngine):
    """The offline engine, holding every answer until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.asked, self.go = threading.Event(), threading.Event()

    async def _aproduce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        self.asked.set()
        await asyncio.to_thread(self.go.wait, 60)
        return await super()._aproduce(call)


def _lease_to(db: Engine, owner: str, until: dt.datetime) -> None:
    with Session(db) as session:
        session.execute(update(BatchItem).values(lease_owner=owner, lease_expires_at=until))
        session.commit()


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.02)


def test_a_worker_renews_its_lease_and_stops_when_another_takes_the_item(
    settings: Settings, knowledge: KnowledgeBase
) -> None:
    app = build_app(settings, knowledge)
    db = app.state.engine
    job = submit(
        db, _hr(app), BatchCreate(kind="checkin_topics", employee_ids=["E001"], date=AS_OF)
    )
    quick = settings.model_copy(update={"batch_lease_seconds": 5, "batch_heartbeat_seconds": 0.05})
    held, stopped = HeldEngine(), threading.Event()

    async def work() -> None:
        await run_batch(db, job.id, chat=held, settings=quick)
        stopped.set()

    worker = threading.Thread(target=asyncio.run, args=(work(),))
    worker.start()
    try:
        assert held.asked.wait(20)
        [first] = _items(db, job.id)
        assert first.lease_expires_at is not None
        _eventually(
            lambda: _items(db, job.id)[0].lease_expires_at > first.lease_expires_at,  # type: ignore[operator]
            "the working worker renewed its lease",
        )
        # As if the worker had stalled past its lease and worker-b had claimed the item.
        _lease_to(db, "worker-b", utcnow() + dt.timedelta(minutes=1))
        assert stopped.wait(20)  # its next renewal fails: it stops the item without settling it
    finally:
        held.go.set()
        worker.join()
    [taken] = _items(db, job.id)
    assert (taken.status, taken.lease_owner) == (BatchItemStatus.running, "worker-b")
    with Session(db) as session:
        assert session.get(Draft, taken.draft_id).status == DraftStatus.generating  # type: ignore[union-attr, arg-type]

    # worker-b dies in turn; once its lease runs out a third worker finishes the item.
    _lease_to(db, "worker-b", utcnow() - dt.timedelta(seconds=1))
    asyncio.run(run_batch(db, job.id, chat=OfflineEngine(), settings=settings))
    assert_each_item_done_once(db, job.id, ["E001"])
    assert _items(db, job.id)[0].draft_id == first.draft_id
