"""The LLM second opinion on borderline comments, against a mocked OpenAI-compatible endpoint."""

from __future__ import annotations

import json

import httpx
import respx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.main import create_app
from coach.core.models import LLMCall
from coach.core.settings import Settings
from coach.demo import DemoTokens
from coach.llm import DatabaseCallLog, OpenAIEngine
from coach.quality import check_comment
from coach.quality.second_opinion import is_borderline
from tests.factories import auth, upgraded

BORDERLINE = "最近值班比以前稳了。"
CLEAR = "表现良好,继续努力。"
URL = "http://llm.test/v1/chat/completions"


def _verdict(vague: bool, reason: str) -> dict[str, object]:
    arguments = json.dumps({"vague": vague, "reason": reason}, ensure_ascii=False)
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {
            "name": "Verdict", "arguments": arguments}}]}}]}  # fmt: skip


def test_the_example_comments_sit_where_the_tests_need_them() -> None:
    assert is_borderline(check_comment(BORDERLINE))
    assert not is_borderline(check_comment(CLEAR))


@respx.mock
def test_a_borderline_comment_takes_the_models_verdict_and_the_call_is_logged(
    settings: Settings, demo: DemoTokens, engine: Engine
) -> None:
    call_log = DatabaseCallLog(engine)
    llm = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1",
                       max_retries=0, call_log=call_log)  # fmt: skip
    route = respx.post(URL).mock(
        return_value=httpx.Response(200, json=_verdict(False, "It names who benefits."))
    )
    app = create_app(upgraded(settings), chat_engine=llm)
    with TestClient(app) as client:
        plain = client.post("/v1/comments/check", headers=auth(demo.manager),
                            json={"text": BORDERLINE}).json()  # fmt: skip
        assert route.call_count == 0 and plain["second_opinion"] is None
        asked = client.post("/v1/comments/check", headers=auth(demo.manager),
                            json={"text": BORDERLINE, "second_opinion": True}).json()  # fmt: skip
        clear = client.post("/v1/comments/check", headers=auth(demo.manager),
                            json={"text": CLEAR, "second_opinion": True}).json()  # fmt: skip
    assert plain["vague"] is True
    opinion = asked["second_opinion"]
    assert asked["vague"] is False and opinion["offline_vague"] is True
    assert opinion["used"] is True and opinion["reason"] == "It names who benefits."
    # A comment the rules are sure of is never sent.
    assert clear["second_opinion"] is None and clear["vague"] is True
    assert route.call_count == 1
    prompt = json.loads(route.calls[0].request.content)["messages"]
    assert BORDERLINE in json.dumps(prompt, ensure_ascii=False)
    call_log.flush()
    with Session(engine) as session:
        calls = session.exec(select(LLMCall)).all()
    assert [(c.purpose, c.outcome) for c in calls] == [("quality.second_opinion", "ok")]


@respx.mock
def test_a_failed_call_keeps_the_offline_verdict_and_says_why(
    settings: Settings, demo: DemoTokens
) -> None:
    llm = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1", max_retries=0)
    respx.post(URL).mock(return_value=httpx.Response(500, json={"error": {"message": "down"}}))
    app = create_app(upgraded(settings), chat_engine=llm)
    with TestClient(app) as client:
        body = client.post("/v1/comments/check-batch", headers=auth(demo.manager),
                           json={"items": [BORDERLINE], "second_opinion": True}).json()  # fmt: skip
    result = body["results"][0]
    assert result["vague"] is True and result["second_opinion"]["used"] is False
    assert "500" in result["second_opinion"]["reason"]


def test_without_a_model_the_offline_verdict_stands(client: TestClient, demo: DemoTokens) -> None:
    body = client.post("/v1/comments/check", headers=auth(demo.manager),
                       json={"text": BORDERLINE, "second_opinion": True}).json()  # fmt: skip
    assert body["vague"] is True
    assert body["second_opinion"]["used"] is False
    assert body["second_opinion"]["reason"] == "no language model is configured"
