"""Fault injection against the real OpenAI client: every fault is retried or named, never lost."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest
import respx
from pydantic import BaseModel, Field

from coach.core.prompts import RenderedPrompt
from coach.llm import (
    CircuitBreaker,
    LLMError,
    OpenAIEngine,
    ResilientEngine,
    RetryPolicy,
    StructuredCall,
)
from coach.llm.resilience import BreakerState
from tests.reliability.conftest import FakeTime, ListLog

BASE_URL = "http://llm.test/v1"
URL = f"{BASE_URL}/chat/completions"


class Topic(BaseModel):
    """A discussion topic."""

    title: str = Field(description="Short title")
    questions: list[str] = Field(description="Open questions")


def _call() -> StructuredCall[Topic]:
    prompt = RenderedPrompt(
        template_id="test/topic.j2", template_hash="h1", system="你是绩效教练。", user="员工记录"
    )
    return StructuredCall(purpose="test.topic", prompt=prompt, schema=Topic,
                          offline=lambda: Topic(title="离线议题", questions=["进展如何?"]))  # fmt: skip


def _completion(message: dict[str, object], finish: str = "tool_calls") -> dict[str, object]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", **message}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }  # fmt: skip


def _tool(arguments: str, finish: str = "tool_calls") -> httpx.Response:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "Topic", "arguments": arguments},
    }
    return httpx.Response(200, json=_completion({"content": None, "tool_calls": [call]}, finish))


def _ok() -> httpx.Response:
    return _tool(json.dumps({"title": "回款进度", "questions": ["卡点在哪?"]}, ensure_ascii=False))


def _error(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"message": f"status {status}"}})


def _resilient(
    fake_time: FakeTime,
    log: ListLog | None = None,
    *,
    policy: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    rng: random.Random | None = None,
) -> ResilientEngine:
    inner = OpenAIEngine(model="test-model", api_key="sk-test", base_url=BASE_URL, call_log=log)
    return ResilientEngine(
        inner, policy=policy or RetryPolicy(max_retries=2, deadline=90), breaker=breaker,
        sleep=fake_time.sleep, asleep=fake_time.asleep, clock=fake_time.clock, rng=rng,
    )  # fmt: skip


class _MaxJitter(random.Random):
    """Always the longest wait full jitter allows, so deadline arithmetic is exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


# --- each fault, retried and then named -------------------------------------------------


FAULTS = [
    pytest.param({"side_effect": httpx.ReadTimeout("slow")}, "timeout", "timeout after 3 attempts", id="timeout"),
    pytest.param({"return_value": _error(500)}, "server_error", '500 server error: "status 500" after 3 attempts', id="500"),
    pytest.param({"return_value": _error(503)}, "server_error", '503 server error: "status 503" after 3 attempts', id="503"),
    pytest.param({"side_effect": httpx.RemoteProtocolError("peer closed connection")}, "connection",
                 "connection failed (RemoteProtocolError) after 3 attempts", id="reset"),
    pytest.param({"side_effect": httpx.ConnectError("connection refused")}, "connection",
                 "connection failed (ConnectError) after 3 attempts", id="connect"),
]  # fmt: skip


# An answer that cannot be used is asked for once more, with what was wrong with it; a
# truncated one is not asked for again (the same request stops at the same limit).
ANSWER_FAULTS = [
    pytest.param({"return_value": _tool('{"title": "回款进', finish="length")}, "truncated",
                 "truncated at the output limit (finish_reason=length) after 1 attempt (not retryable)",
                 1, id="truncated"),
    pytest.param({"return_value": _tool('{"title": "回款", "questions": [')}, "invalid",
                 """answer is not JSON: it starts with '{"title": "回款", "questions": [' after 2 attempts""",
                 2, id="bad-json"),
    pytest.param({"return_value": httpx.Response(200, json=_completion({"content": "好的,以下是三个议题:……"}, "stop"))},
                 "invalid", "answer is not JSON: it starts with '好的,以下是三个议题:……' after 2 attempts",
                 2, id="plain-text"),
    pytest.param({"return_value": httpx.Response(200, text="<html>502 Bad Gateway</html>",
                                                 headers={"content-type": "text/html"})},
                 "invalid", "not a chat completion ('<html>502 Bad Gateway</html>') after 2 attempts",
                 2, id="html-page"),
    pytest.param({"return_value": _tool(json.dumps({"title": 3}))}, "invalid",
                 "answer does not fit Topic: title: Input should be a valid string; questions: "
                 "Field required after 2 attempts", 2, id="schema"),
]  # fmt: skip


@pytest.mark.parametrize(("mock", "outcome", "message", "attempts"), ANSWER_FAULTS)
@respx.mock
def test_unusable_answer_is_asked_again_once_with_what_was_wrong(
    fake_time: FakeTime, mock: dict[str, object], outcome: str, message: str, attempts: int
) -> None:
    route = respx.post(URL).mock(**mock)
    log = ListLog()
    with pytest.raises(LLMError) as excinfo:
        _resilient(fake_time, log).generate(_call())
    assert (excinfo.value.outcome, str(excinfo.value)) == (outcome, message)
    assert route.call_count == attempts
    assert [r.outcome for r in log.records] == [outcome] * attempts
    if attempts == 2:
        first, second = (json.loads(c.request.content)["messages"] for c in route.calls)
        assert len(second) == len(first) + 1
        fault = message.split(" after ")[0].rstrip(")")
        assert "无法使用" in second[-1]["content"] and fault[-20:] in second[-1]["content"]


@pytest.mark.parametrize(("mock", "outcome", "message"), FAULTS)
@respx.mock
def test_persistent_fault_is_retried_then_named(
    fake_time: FakeTime, mock: dict[str, object], outcome: str, message: str
) -> None:
    route = respx.post(URL).mock(**mock)
    log = ListLog()
    with pytest.raises(LLMError) as excinfo:
        _resilient(fake_time, log).generate(_call())
    assert (excinfo.value.outcome, str(excinfo.value)) == (outcome, message)
    assert route.call_count == 3
    assert [r.outcome for r in log.records] == [outcome] * 3  # every attempt is logged
    # Full jitter: each wait lies in [0, base * 2^retry].
    assert len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] <= 0.5 and 0 <= fake_time.sleeps[1] <= 1.0


@pytest.mark.parametrize(("mock", "outcome", "message"), FAULTS)
@respx.mock
def test_transient_fault_then_success(
    fake_time: FakeTime, mock: dict[str, object], outcome: str, message: str
) -> None:
    fault = mock.get("return_value") or mock["side_effect"]
    route = respx.post(URL).mock(side_effect=[fault, _ok()])
    log = ListLog()
    result = asyncio.run(_resilient(fake_time, log).agenerate(_call()))
    assert result.output.title == "回款进度" and route.call_count == 2
    assert [r.outcome for r in log.records] == [outcome, "ok"]


@respx.mock
def test_retry_after_is_honoured(fake_time: FakeTime) -> None:
    route = respx.post(URL).mock(side_effect=[_error(429, **{"Retry-After": "7"}), _ok()])
    result = _resilient(fake_time).generate(_call())
    assert result.output.title == "回款进度" and route.call_count == 2
    assert fake_time.sleeps == [7.0]


@respx.mock
def test_retry_after_in_milliseconds_and_on_503(fake_time: FakeTime) -> None:
    respx.post(URL).mock(
        side_effect=[
            _error(503, **{"retry-after-ms": "1500"}),
            _error(429, **{"Retry-After": "2"}),
            _ok(),
        ]
    )
    _resilient(fake_time).generate(_call())
    assert fake_time.sleeps == [1.5, 2.0]


@respx.mock
def test_persistent_rate_limit_is_named(fake_time: FakeTime) -> None:
    respx.post(URL).mock(return_value=_error(429, **{"Retry-After": "1"}))
    with pytest.raises(LLMError) as excinfo:
        _resilient(fake_time).generate(_call())
    assert str(excinfo.value) == '429 rate limited: "status 429" after 3 attempts'
    assert excinfo.value.outcome == "rate_limited" and fake_time.sleeps == [1.0, 1.0]


@respx.mock
def test_retry_after_beyond_the_deadline_gives_up_at_once(fake_time: FakeTime) -> None:
    route = respx.post(URL).mock(return_value=_error(429, **{"Retry-After": "120"}))
    with pytest.raises(LLMError) as excinfo:
        _resilient(fake_time, policy=RetryPolicy(max_retries=5, deadline=30)).generate(_call())
    assert route.call_count == 1 and fake_time.sleeps == []
    assert str(excinfo.value).startswith(
        '429 rate limited: "status 429" after 1 attempt; Retry-After 120s exceeds'
    )


@respx.mock
def test_backoff_stops_at_the_deadline(fake_time: FakeTime) -> None:
    route = respx.post(URL).mock(return_value=_error(502))
    policy = RetryPolicy(max_retries=10, deadline=10, backoff_base=2, backoff_max=100)
    with pytest.raises(LLMError) as excinfo:
        _resilient(fake_time, policy=policy, rng=_MaxJitter()).generate(_call())
    # Waits of 2 and 4 fit in 10 s; the next one (8) would not.
    assert fake_time.sleeps == [2.0, 4.0] and route.call_count == 3
    assert (
        str(excinfo.value)
        == '502 server error: "status 502" after 3 attempts; deadline 10s reached'
    )


@respx.mock
def test_client_errors_are_not_retried(fake_time: FakeTime) -> None:
    route = respx.post(URL).mock(return_value=_error(401))
    with pytest.raises(LLMError) as excinfo:
        _resilient(fake_time).generate(_call())
    assert route.call_count == 1 and excinfo.value.outcome == "error"
    assert str(excinfo.value) == 'HTTP 401 refused: "status 401" after 1 attempt (not retryable)'


@respx.mock
def test_async_attempt_is_cut_off_at_the_deadline() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return _ok()

    respx.post(URL).mock(side_effect=hang)
    log = ListLog()
    inner = OpenAIEngine(model="test-model", api_key="sk-test", base_url=BASE_URL, call_log=log)
    engine = ResilientEngine(inner, policy=RetryPolicy(deadline=0.05))
    with pytest.raises(LLMError) as excinfo:
        asyncio.run(engine.agenerate(_call()))
    assert str(excinfo.value) == "timeout after 1 attempt; deadline 0.05s reached"
    assert [r.outcome for r in log.records] == ["timeout"]


def test_full_jitter_stays_within_the_capped_step() -> None:
    policy, rng = RetryPolicy(backoff_base=0.5, backoff_max=4), random.Random(7)
    for retry in range(8):
        waits = [policy.backoff(retry, rng) for _ in range(50)]
        assert all(0 <= w <= min(4, 0.5 * 2**retry) for w in waits)
        assert len(set(waits)) > 1  # jittered, not a fixed step


# --- the circuit breaker ----------------------------------------------------------------


@respx.mock
def test_breaker_opens_fails_fast_half_opens_and_closes(fake_time: FakeTime) -> None:
    route = respx.post(URL).mock(return_value=_error(500))
    log = ListLog()
    breaker = CircuitBreaker("llm.test test-model", threshold=3, cooldown=30, clock=fake_time.clock)
    engine = _resilient(fake_time, log, policy=RetryPolicy(max_retries=1), breaker=breaker)

    with pytest.raises(LLMError):
        engine.generate(_call())  # 2 failures
    assert breaker.state is BreakerState.closed
    with pytest.raises(LLMError) as excinfo:
        engine.generate(_call())  # the 3rd failure opens it; the retry is not sent
    assert breaker.state is BreakerState.open and route.call_count == 3
    assert str(excinfo.value) == '500 server error: "status 500" after 1 attempt; circuit opened'

    with pytest.raises(LLMError) as excinfo:
        asyncio.run(engine.agenerate(_call()))  # open: fails fast, nothing sent
    assert excinfo.value.outcome == "circuit_open" and route.call_count == 3
    assert str(excinfo.value).startswith(
        "circuit open for llm.test test-model (3 consecutive failures"
    )
    assert log.records[-1].outcome == "circuit_open"

    fake_time.now += 30  # cool-down over: half-open, one trial goes out
    assert breaker.state is BreakerState.half_open
    with pytest.raises(LLMError):
        engine.generate(_call())  # the trial fails: open again at once, no retry sent
    assert route.call_count == 4 and breaker.state is BreakerState.open

    fake_time.now += 30
    route.mock(return_value=_ok())
    assert engine.generate(_call()).output.title == "回款进度"
    assert breaker.state is BreakerState.closed and breaker.failures == 0


def test_half_open_lets_one_trial_through_at_a_time(fake_time: FakeTime) -> None:
    breaker = CircuitBreaker("x", threshold=1, cooldown=10, clock=fake_time.clock)
    breaker.record_failure()
    assert not breaker.allow()
    fake_time.now += 10
    assert breaker.allow() and not breaker.allow()  # the second caller fails fast
    fake_time.now += 10  # a trial whose caller vanished does not block the endpoint forever
    assert breaker.allow()


@respx.mock
def test_invalid_answers_do_not_open_the_breaker(fake_time: FakeTime) -> None:
    respx.post(URL).mock(return_value=_tool(json.dumps({"title": 3})))
    breaker = CircuitBreaker("x", threshold=2, clock=fake_time.clock)
    engine = _resilient(fake_time, breaker=breaker)
    for _ in range(3):
        with pytest.raises(LLMError):
            engine.generate(_call())
    assert breaker.state is BreakerState.closed
