"""One connection rule: no pooled database connection is held while waiting on an LLM."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from coach.batches import BatchCreate, run_batch, submit, to_public
from coach.core.models import BatchJob
from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.org.users import authenticate
from tests.chains.conftest import AS_OF, BASE_URL, auth, build_app, openai_engine

URL = f"{BASE_URL}/chat/completions"


class CheckedOut:
    """Counts the engine's pooled connections in use, and what it was at each LLM call."""

    def __init__(self, engine: Engine) -> None:
        self.now = 0
        self.during_calls: list[int] = []
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _checkout(self, *_: object) -> None:
        self.now += 1

    def _checkin(self, *_: object) -> None:
        self.now -= 1

    def llm_down(self, _: httpx.Request) -> httpx.Response:
        self.during_calls.append(self.now)
        return httpx.Response(500, json={"error": {"message": "down"}})


@pytest.fixture
def llm_app(settings: Settings, knowledge: KnowledgeBase) -> FastAPI:
    return build_app(settings, knowledge, chat_engine=openai_engine())


@respx.mock
def test_a_target_suggestion_holds_no_connection_during_the_rephrase(llm_app: FastAPI) -> None:
    pool = CheckedOut(llm_app.state.engine)
    respx.post(URL).mock(side_effect=pool.llm_down)
    with TestClient(llm_app) as client:
        response = client.post(
            "/v1/targets/suggest", headers=auth(llm_app.state.demo_tokens.manager),
            json={"employee_id": "E012", "metric": "revenue", "period": "2026Q4"},
        )  # fmt: skip
    assert response.status_code == 200, response.text
    assert pool.during_calls == [0]


@respx.mock
def test_a_feedback_draft_holds_no_connection_during_the_llm_call(llm_app: FastAPI) -> None:
    pool = CheckedOut(llm_app.state.engine)
    respx.post(URL).mock(side_effect=pool.llm_down)
    with TestClient(llm_app) as client:
        response = client.post(
            "/v1/feedback/drafts", headers=auth(llm_app.state.demo_tokens.manager),
            json={"employee_id": "E012", "cycle": "latest", "date": AS_OF.isoformat()},
        )  # fmt: skip
    assert response.status_code == 201, response.text
    assert pool.during_calls == [0]


@respx.mock
def test_a_target_batch_item_holds_no_connection_during_the_rephrase(
    llm_app: FastAPI, settings: Settings
) -> None:
    db = llm_app.state.engine
    with Session(db) as session:
        hr = authenticate(session, llm_app.state.demo_tokens.hr)
    assert hr is not None
    body = BatchCreate(
        kind="target", employee_ids=["E012", "E013"], metric="revenue", period="2026Q4"
    )
    job = submit(db, hr, body)
    pool = CheckedOut(db)
    respx.post(URL).mock(side_effect=pool.llm_down)
    # One item at a time, so the only connections are the ones an item holds.
    asyncio.run(
        run_batch(db, job.id, chat=llm_app.state.chat_engine, settings=settings, concurrency=1)
    )
    with Session(db) as session:
        assert to_public(session, session.get(BatchJob, job.id)).done == 2  # type: ignore[arg-type]
    assert pool.during_calls == [0, 0]
