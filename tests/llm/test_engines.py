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
    CircuitBreaker,
    LLMError,
    OfflineEngine,
    OpenAIEngine,
    ResilientEngine,
    StructuredCall,
    build_engine,
)
from coach.llm.resilience import BreakerState
from tests.llm.providers import DeepSeekReasoner

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
    assert engine.inner.method == "auto" and engine.inner.max_tokens == 4096


# --- what servers actually return ---------------------------------------------------------


def _content_answer(content: str, finish: str = "stop") -> dict[str, object]:
    return {
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content}}],
    }  # fmt: skip


GOOD = json.dumps({"title": "回款进度", "questions": ["卡点在哪?"]}, ensure_ascii=False)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(GOOD, id="json-in-content-tool-choice-ignored"),
        pytest.param(f"<think>\n先看记录。{{草稿}}\n</think>\n\n{GOOD}", id="think-block"),
        pytest.param(f"先想想。</think>{GOOD}", id="think-closing-tag-only"),
        pytest.param(f"以下是结果：\n```json\n{GOOD}\n```\n希望有帮助。", id="fenced"),
        pytest.param(
            json.dumps({"name": "Topic", "arguments": json.loads(GOOD)}), id="name-arguments"
        ),
        pytest.param(json.dumps({"name": "Topic", "arguments": GOOD}), id="name-arguments-string"),
    ],
)
@respx.mock
def test_an_answer_in_the_content_is_used(content: str) -> None:
    respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(200, json=_content_answer(content))
    )
    result = _engine(ListLog()).generate(_call())
    assert result.output == Topic(title="回款进度", questions=["卡点在哪?"])


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@respx.mock
def test_a_truncated_answer_is_its_own_fault_whatever_the_method(method: str) -> None:
    respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(200, json=_content_answer(GOOD[:20], finish="length"))
    )
    engine = OpenAIEngine(model="m", api_key="sk-test", base_url=BASE_URL, method=method)  # type: ignore[arg-type]
    with pytest.raises(LLMError) as excinfo:
        engine.generate(_call())
    assert excinfo.value.outcome == "truncated" and "finish_reason=length" in str(excinfo.value)


@respx.mock
def test_json_off_the_schema_names_the_fields_and_is_asked_again_with_them() -> None:
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        side_effect=[httpx.Response(200, json=_tool_answer({"title": "缺问题"})),
                     httpx.Response(200, json=_tool_answer(json.loads(GOOD)))]
    )  # fmt: skip
    result = ResilientEngine(_engine(ListLog()), sleep=lambda _: None).generate(_call())
    assert result.output.title == "回款进度" and route.call_count == 2
    retry = json.loads(route.calls.last.request.content)["messages"][-1]["content"]
    assert "answer does not fit Topic: questions: Field required" in retry


@respx.mock
def test_a_configuration_refusal_is_quoted_not_retried_and_not_held_against_the_endpoint() -> None:
    said = "registry.ollama.ai/library/gemma3:4b does not support tools"
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(400, json={"error": {"message": said}})
    )
    inner = OpenAIEngine(model="m", api_key="sk-test", base_url=BASE_URL, method="function_calling")
    engine = ResilientEngine(inner, breaker=CircuitBreaker("x", threshold=1), sleep=lambda _: None)
    for _ in range(3):
        with pytest.raises(LLMError) as excinfo:
            engine.generate(_call())
        assert excinfo.value.outcome == "unsupported" and said in str(excinfo.value)
    assert route.call_count == 3 and engine.breaker.state is BreakerState.closed


def _methods(route: respx.Route) -> list[str]:
    found = []
    for call in route.calls:
        body = json.loads(call.request.content)
        if body.get("tools"):
            found.append("function_calling")
        else:
            found.append((body.get("response_format") or {}).get("type", "prompt"))
    return found


@respx.mock
def test_auto_moves_past_refused_methods_and_remembers_per_endpoint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deepseek = DeepSeekReasoner()
    deepseek.answer = lambda body: json.loads(GOOD)
    route = respx.post(f"{BASE_URL}/chat/completions").mock(side_effect=deepseek)
    log = ListLog()
    engine = _engine(log)
    with caplog.at_level("INFO", logger="coach.llm"):
        assert engine.generate(_call()).output.title == "回款进度"
    assert _methods(route) == ["function_calling", "json_schema", "json_object"]
    assert [r.outcome for r in log.records] == ["unsupported", "unsupported", "ok"]
    assert "refused tools" in caplog.text and "does not support Function Calling" in caplog.text
    engine.generate(_call())  # the second call goes straight to what works
    assert _methods(route)[3:] == ["json_object"]
    system = json.loads(route.calls.last.request.content)["messages"][0]["content"]
    assert "json" in system and '"questions"' in system and "title、questions" in system


@respx.mock
def test_refused_tool_choice_and_temperature_are_dropped_once() -> None:
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        side_effect=[
            httpx.Response(400, json={"error": {"message": '"auto" tool choice requires '
                           "--enable-auto-tool-choice and --tool-call-parser to be set"}}),
            httpx.Response(400, json={"error": {"message": "Unsupported value: 'temperature' does "
                           "not support 0.2 with this model. Only the default (1) value is supported."}}),
            httpx.Response(200, json=_tool_answer(json.loads(GOOD))),
            httpx.Response(200, json=_tool_answer(json.loads(GOOD))),
        ]
    )  # fmt: skip
    engine = _engine(ListLog())
    engine.generate(_call())
    engine.generate(_call())
    sent = [json.loads(c.request.content) for c in route.calls]
    assert "tool_choice" in sent[0] and "temperature" in sent[0] and sent[0]["max_tokens"] == 4096
    assert "tool_choice" not in sent[2] and "temperature" not in sent[2] and sent[2]["tools"]
    assert "tool_choice" not in sent[3] and "temperature" not in sent[3]


@respx.mock
def test_an_html_page_is_quoted() -> None:
    respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(
            200, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
        )
    )
    with pytest.raises(LLMError) as excinfo:
        _engine(ListLog()).generate(_call())
    assert excinfo.value.outcome == "invalid" and "<html>Bad Gateway</html>" in str(excinfo.value)


@respx.mock
def test_an_answer_filed_as_reasoning_is_used() -> None:
    answer = _content_answer("")
    answer["choices"][0]["message"]["reasoning_content"] = f"按格式作答：{GOOD}"  # type: ignore[index]
    respx.post(f"{BASE_URL}/chat/completions").mock(return_value=httpx.Response(200, json=answer))
    assert _engine(ListLog()).generate(_call()).output.title == "回款进度"


@respx.mock
def test_max_tokens_becomes_max_completion_tokens_where_the_endpoint_asks() -> None:
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        side_effect=[
            httpx.Response(400, json={"error": {"message": "Unsupported parameter: 'max_tokens' is "
                           "not supported with this model. Use 'max_completion_tokens' instead."}}),
            httpx.Response(200, json=_tool_answer(json.loads(GOOD))),
        ]
    )  # fmt: skip
    _engine(ListLog()).generate(_call())
    sent = json.loads(route.calls.last.request.content)
    assert "max_tokens" not in sent and sent["max_completion_tokens"] == 4096


@respx.mock
def test_a_500_refusing_response_format_is_a_configuration_refusal() -> None:
    said = 'response_format type must be one of "text" or "json_object", but got: json_schema'
    route = respx.post(f"{BASE_URL}/chat/completions").mock(
        return_value=httpx.Response(500, json={"error": {"code": 500, "message": said}})
    )
    inner = OpenAIEngine(model="m", api_key="sk-test", base_url=BASE_URL, method="json_schema")
    engine = ResilientEngine(inner, breaker=CircuitBreaker("x", threshold=1), sleep=lambda _: None)
    with pytest.raises(LLMError) as excinfo:
        engine.generate(_call())
    assert excinfo.value.outcome == "unsupported" and said in str(excinfo.value)
    assert route.call_count == 1 and engine.breaker.state is BreakerState.closed
