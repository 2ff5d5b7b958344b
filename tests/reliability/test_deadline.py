"""COACH_LLM_DEADLINE covers the whole request, loading the records included."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from coach.chains import service
from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.llm import ResilientEngine, RetryPolicy
from tests.chains.conftest import AS_OF, BASE_URL, auth, build_app, openai_engine

URL = f"{BASE_URL}/chat/completions"
DEADLINE = 0.2


@respx.mock
def test_a_slow_preparation_leaves_the_llm_no_time(
    settings: Settings, knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare = service.prepare

    def slow_prepare(*args: Any, **kwargs: Any) -> Any:
        time.sleep(DEADLINE * 1.5)  # loading the records alone outlasts the deadline
        return prepare(*args, **kwargs)

    monkeypatch.setattr(service, "prepare", slow_prepare)
    settings = settings.model_copy(update={"llm_deadline": DEADLINE})
    chat = ResilientEngine(openai_engine(), policy=RetryPolicy(max_retries=0, deadline=DEADLINE))
    app = build_app(settings, knowledge, chat_engine=chat)
    route = respx.post(URL).mock(return_value=httpx.Response(500, json={"error": {}}))
    with TestClient(app) as client:
        response = client.post(
            "/v1/feedback/drafts", headers=auth(app.state.demo_tokens.manager),
            json={"employee_id": "E012", "cycle": "latest", "date": AS_OF.isoformat()},
        )  # fmt: skip
    assert response.status_code == 201, response.text
    provenance = response.json()["provenance"]
    assert provenance["provider"] == "offline"
    assert "deadline was spent before the call" in provenance["fallback_reason"]
    assert route.call_count == 0
