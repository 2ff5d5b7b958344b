"""Review-cycle batches: progress, bounded concurrency, resumption after a crash, an LLM down."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter

import httpx
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from coach.batches import BatchCreate, resume_unfinished, run_batch, submit
from coach.core.models import (
    BatchItem,
    BatchItemStatus,
    BatchJob,
    BatchStatus,
    Draft,
    DraftStatus,
    Employee,
)
from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.llm import OfflineEngine
from coach.org.users import authenticate
from tests.chains.conftest import AS_OF, BASE_URL, auth, build_app
from tests.reliability.conftest import FakeTime
from tests.reliability.test_draft_lifecycle import resilient_engine

URL = f"{BASE_URL}/chat/completions"


def _twenty(app: FastAPI) -> list[str]:
    with Session(app.state.engine) as session:
        ids = session.exec(select(Employee.employee_id).order_by(col(Employee.employee_id))).all()
    return list(ids)[:20]


def _wait(client: TestClient, job_id: str, token: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get(f"/v1/batches/{job_id}", headers=auth(token)).json()
        if body["status"] == "done":
            return body  # type: ignore[no-any-return]
        time.sleep(0.02)
    raise AssertionError(f"batch {job_id} did not finish: {body}")


def _drafts_per_employee(app: FastAPI) -> Counter[str]:
    with Session(app.state.engine) as session:
        return Counter(d.employee_id for d in session.exec(select(Draft)).all())


def test_a_twenty_employee_batch_completes_with_progress(
    settings: Settings, knowledge: KnowledgeBase
) -> None:
    app = build_app(settings, knowledge)
    tokens = app.state.demo_tokens
    ids = _twenty(app)
    with TestClient(app) as client:
        created = client.post(
            "/v1/batches", headers=auth(tokens.hr),
            json={"kind": "checkin_topics", "employee_ids": ids, "date": AS_OF.isoformat()},
        )  # fmt: skip
        assert created.status_code == 202, created.text
        assert created.json()["total"] == 20 and created.json()["status"] == "running"
        body = _wait(client, created.json()["id"], tokens.hr)
    assert (body["done"], body["failed"]) == (20, 0)
    items = body["items"]
    assert [i["employee_id"] for i in items] == ids and all(i["draft_id"] for i in items)
    assert _drafts_per_employee(app) == Counter(ids)
    with Session(app.state.engine) as session:
        assert {d.status for d in session.exec(select(Draft)).all()} == {DraftStatus.pending}


def test_a_manager_batches_their_reports_only(settings: Settings, knowledge: KnowledgeBase) -> None:
    app = build_app(settings, knowledge)
    token = app.state.demo_tokens.manager
    with TestClient(app) as client:
        outside = client.post(
            "/v1/batches", headers=auth(token), json={"kind": "feedback", "employee_ids": ["E001"]}
        )
        assert outside.status_code == 403
        mine = client.post(
            "/v1/batches", headers=auth(token),
            json={"kind": "feedback", "date": AS_OF.isoformat()},
        )  # fmt: skip
        assert mine.status_code == 202 and mine.json()["total"] >= 1
        body = _wait(client, mine.json()["id"], token)
        assert body["done"] + body["failed"] == body["total"]
        other = client.get(
            f"/v1/batches/{body['id']}", headers=auth(app.state.demo_tokens.employee)
        )
        assert other.status_code == 403


def test_a_crashed_batch_resumes_without_duplicates(
    settings: Settings, knowledge: KnowledgeBase
) -> None:
    app = build_app(settings, knowledge)
    db, ids = app.state.engine, _twenty(app)
    with Session(db) as session:
        hr = authenticate(session, app.state.demo_tokens.hr)
    assert hr is not None
    job = submit(db, hr, BatchCreate(kind="checkin_topics", employee_ids=ids, date=AS_OF))

    def progress() -> Counter[BatchItemStatus]:
        with Session(db) as session:
            rows = session.exec(select(BatchItem).where(BatchItem.job_id == job.id)).all()
            return Counter(r.status for r in rows)

    async def crash_midway() -> None:
        task = asyncio.create_task(
            run_batch(db, job.id, chat=OfflineEngine(), settings=settings, concurrency=3)
        )
        while progress()[BatchItemStatus.done] < 5:
            await asyncio.sleep(0.005)
        task.cancel()  # the process dies: in-flight items stay running with a generating draft
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(crash_midway())
    interrupted = progress()
    assert 5 <= interrupted[BatchItemStatus.done] < 20
    with Session(db) as session:
        assert session.get(BatchJob, job.id).status == BatchStatus.running  # type: ignore[union-attr]
        done_before = {
            r.employee_id: r.draft_id
            for r in session.exec(select(BatchItem).where(BatchItem.status == BatchItemStatus.done))
        }

    resumed = asyncio.run(resume_unfinished(db, chat=OfflineEngine(), settings=settings))

    assert resumed == [job.id]
    assert progress() == Counter({BatchItemStatus.done: 20})
    assert _drafts_per_employee(app) == Counter(ids)  # one draft each: nothing generated twice
    with Session(db) as session:
        items = session.exec(select(BatchItem).where(BatchItem.job_id == job.id)).all()
        assert all(session.get(Draft, i.draft_id).status == DraftStatus.pending for i in items)  # type: ignore[union-attr, arg-type]
        for item in items:
            if item.employee_id in done_before:  # finished items were not redone
                assert item.draft_id == done_before[item.employee_id] and item.attempts == 1
        assert session.get(BatchJob, job.id).status == BatchStatus.done  # type: ignore[union-attr]


def test_an_interrupted_batch_resumes_when_the_app_starts(
    settings: Settings, knowledge: KnowledgeBase
) -> None:
    app = build_app(settings, knowledge)
    db, ids = app.state.engine, _twenty(app)[:4]
    with Session(db) as session:
        hr = authenticate(session, app.state.demo_tokens.hr)
    assert hr is not None
    job = submit(db, hr, BatchCreate(kind="checkin_topics", employee_ids=ids, date=AS_OF))
    with TestClient(app) as client:  # start-up finds the unfinished batch and runs it
        body = _wait(client, job.id, app.state.demo_tokens.hr)
    assert body["done"] == 4


@respx.mock
def test_a_batch_completes_offline_when_every_llm_call_fails(
    settings: Settings, knowledge: KnowledgeBase, fake_time: FakeTime
) -> None:
    route = respx.post(URL).mock(
        return_value=httpx.Response(500, json={"error": {"message": "down"}})
    )
    app = build_app(settings, knowledge, resilient_engine(fake_time))
    tokens, ids = app.state.demo_tokens, _twenty(app)
    with TestClient(app) as client:
        created = client.post(
            "/v1/batches", headers=auth(tokens.hr),
            json={"kind": "checkin_topics", "employee_ids": ids, "date": AS_OF.isoformat()},
        )  # fmt: skip
        body = _wait(client, created.json()["id"], tokens.hr)
    assert (body["done"], body["failed"]) == (20, 0)
    assert route.call_count <= 5 + 4  # the breaker opened: later items did not hammer the endpoint
    with Session(app.state.engine) as session:
        drafts = session.exec(select(Draft)).all()
    assert len(drafts) == 20 and {d.status for d in drafts} == {DraftStatus.pending}
    assert all(d.provider == "offline" and d.fallback_reason for d in drafts)
