"""The real OpenAI client path, driven against a mocked HTTP API, and the offline engine."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx
from pydantic import BaseModel, Field

from coach.core.prompts import RenderedPrompt
from coach.core.settings import Settings
from coach.llm import (
    CallRecord,
    LLMError,
    OfflineEngine,
    OpenAIEngine,
    ResilientEngine,
    StructuredCall,
    build_engine,
)

BASE_URL = "http://llm.test/v1"


class Topic(BaseModel):
    """A discussion topic."""

    title: str = Field(description="Short title")
    questions: list[str] = Field(description="Open questions")


class ListLog:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def record(self, entry: CallRecord) -> None:
        self.records.append(entry)


def _call() -> StructuredCall[Topic]:
    prompt = RenderedPrompt(
        template_id="test/topic.j2", template_hash="h1", system="你是绩效教练。", user="员工记录:……"
    )
    return StructuredCall(purpose="test.topic", prompt=prompt, schema=Topic,
                          offline=lambda: Topic(title="离线议题", questions=["进展如何?"]))  # fmt: skip


def _tool_answer(arguments: dict[str, object]) -> dict[str, object]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "Topic", "arguments": json.dumps(arguments, ensure_ascii=False)}}],
        }}],
        "usage": {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59},
    }  # fmt: skip


def _engine(log: ListLog, retries: int = 0) -> OpenAIEngine:
    return OpenAIEngine(
        model="test-model", api_key="sk-test", base_url=BASE_URL, max_retries=retries, call_log=log
    )


@respx.mock
def test_structured_output_through_chat_openai() -> None:
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(
            200, json=_tool_answer({"title": "回款进度", "questions": ["卡点在哪?"]})
        )
    )
    log = ListLog()
    result = _engine(log).generate(_call())
    assert result.output == Topic(title="回款进度", questions=["卡点在哪?"])
    assert (result.provider, result.model, result.template_hash) == ("openai", "test-model", "h1")
    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "test-model"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["tools"][0]["function"]["name"] == "Topic"
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test"
    assert log.records[0].outcome == "ok" and log.records[0].input_tokens == 42
    assert log.records[0].output_tokens == 17 and log.records[0].template_id == "test/topic.j2"


@respx.mock
def test_server_error_then_success_is_retried_by_the_resilient_wrapper() -> None:
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        side_effect=[httpx.Response(500, json={"error": {"message": "boom"}}),
                     httpx.Response(500, json={"error": {"message": "boom"}}),
                     httpx.Response(200, json=_tool_answer({"title": "重试成功", "questions": []}))]
    )  # fmt: skip
    log = ListLog()
    with pytest.raises(LLMError):
        _engine(log).generate(_call())  # the bare engine makes exactly one attempt
    assert route.call_count == 1
    result = ResilientEngine(_engine(log), sleep=lambda _: None).generate(_call())
    assert result.output.title == "重试成功" and route.call_count == 3
    assert [r.outcome for r in log.records] == ["server_error", "server_error", "ok"]


@respx.mock
def test_persistent_error_raises_and_is_logged() -> None:
    respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(500, json={"error": {"message": "down"}})
    )
    log = ListLog()
    with pytest.raises(LLMError) as excinfo:
        _engine(log, retries=0).generate(_call())
    assert excinfo.value.outcome == "server_error" and excinfo.value.status == 500
    assert log.records[0].outcome == "server_error" and "500" in (log.records[0].error or "")


@respx.mock
def test_answer_that_misses_the_schema_is_invalid() -> None:
    respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(200, json=_tool_answer({"title": 3}))
    )
    log = ListLog()
    with pytest.raises(LLMError) as excinfo:
        _engine(log).generate(_call())
    assert excinfo.value.outcome == "invalid" and log.records[0].outcome == "invalid"


@respx.mock
def test_async_path_uses_the_same_client() -> None:
    respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(200, json=_tool_answer({"title": "异步", "questions": ["?"]}))
    )
    result = asyncio.run(_engine(ListLog()).agenerate(_call()))
    assert result.output.title == "异步"


def test_offline_engine_runs_the_composer_and_logs() -> None:
    log = ListLog()
    result = OfflineEngine(log).generate(_call())
    assert result.output.title == "离线议题" and result.provider == "offline"
    assert log.records[0].purpose == "test.topic" and log.records[0].outcome == "ok"


def test_factory_follows_settings(tmp_path: object) -> None:
    assert isinstance(build_engine(Settings()), OfflineEngine)
    engine = build_engine(
        Settings(
            llm_provider="openai",
            openai_api_key="sk-x",
            openai_base_url=BASE_URL,
            llm_model="qwen-plus",
        )
    )
    assert isinstance(engine, ResilientEngine) and engine.model == "qwen-plus"
    assert isinstance(engine.inner, OpenAIEngine) and engine.inner.client.max_retries == 0
