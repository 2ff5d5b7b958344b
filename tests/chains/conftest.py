"""Fixtures for the coaching chains: the demo company, a small practice library, a mocked LLM."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from coach.chains.checkin_topics import compose_topics
from coach.chains.common import pseudonymizer_for
from coach.chains.development import compose_plan, find_gaps, retrieve, with_practices
from coach.chains.feedback import compose_feedback
from coach.chains.records import CoachingKind, load_names, load_snapshot
from coach.core.settings import Settings
from coach.demo import DemoTokens, seed_demo
from coach.knowledge import (
    HashingEmbedder,
    KnowledgeBase,
    ensure_shipped_library,
    open_knowledge_base,
)
from coach.llm import ChatEngine, OpenAIEngine
from tests.factories import upgraded

AS_OF = date(2026, 11, 16)  # the demo company's "today"
BASE_URL = "http://llm.test/v1"


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = open_knowledge_base(
        chroma_path=tmp_path_factory.mktemp("kb") / "chroma", embedder=HashingEmbedder()
    )
    ensure_shipped_library(kb)
    return kb


def build_app(
    settings: Settings, knowledge: KnowledgeBase, chat_engine: ChatEngine | None = None
) -> FastAPI:
    """An app on these settings with the demo company seeded."""
    app = create_app(upgraded(settings), chat_engine=chat_engine, knowledge=knowledge)
    with Session(app.state.engine) as session:
        app.state.demo_tokens = seed_demo(session)
        session.commit()
    return app


@pytest.fixture
def demo_app(settings: Settings, knowledge: KnowledgeBase) -> FastAPI:
    return build_app(settings, knowledge)


@pytest.fixture
def demo_client(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app) as client:
        yield client


@pytest.fixture
def demo_tokens(demo_app: FastAPI) -> DemoTokens:
    return demo_app.state.demo_tokens  # type: ignore[no-any-return]


@pytest.fixture
def demo_engine(demo_app: FastAPI) -> Engine:
    return demo_app.state.engine  # type: ignore[no-any-return]


def openai_engine(retries: int = 0) -> OpenAIEngine:
    """The real OpenAI client pointed at a URL that respx answers."""
    return OpenAIEngine(
        model="test-model", api_key="sk-test", base_url=BASE_URL, max_retries=retries
    )


def tool_answer(name: str, arguments: dict[str, object]) -> dict[str, object]:
    """A chat completion whose only content is one tool call, as a function-calling endpoint returns it."""
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}],
        }}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }  # fmt: skip


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sent_text(request: object) -> str:
    """Everything a request sent to the LLM, as one string."""
    body = json.loads(request.content)  # type: ignore[attr-defined]
    return "\n".join(str(m.get("content") or "") for m in body["messages"])


TOOL_NAMES = {
    "checkin_topics": "CheckinTopics",
    "feedback": "FeedbackDraft",
    "development": "DevelopmentPlan",
}


def llm_payload(
    db: Engine,
    kb: KnowledgeBase,
    kind: CoachingKind,
    employee_id: str,
    *,
    cycle: str | None = None,
    lang: str = "zh",
    mutate: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """What a well-behaved LLM would answer (the offline output, masked), optionally spoiled."""
    with Session(db) as session:
        snapshot = load_snapshot(
            session,
            employee_id=employee_id,
            draft_kind=kind,
            as_of=AS_OF,
            cycle=cycle,
            lang=lang,
        )  # type: ignore[arg-type]
        directory = load_names(session, snapshot)
    if kind == "checkin_topics":
        output: Any = compose_topics(snapshot)
    elif kind == "feedback":
        output = compose_feedback(snapshot)
    else:
        matches = retrieve(kb, find_gaps(snapshot))
        snapshot = with_practices(snapshot, matches)
        output = compose_plan(snapshot, matches)
    payload: dict[str, Any] = output.model_dump(mode="json", exclude={"quality_flags"})
    if mutate is not None:
        mutate(payload)
    return pseudonymizer_for(snapshot, directory).mask_value(payload)  # type: ignore[no-any-return]
