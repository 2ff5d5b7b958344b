"""An OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama) via LangChain.

One attempt per call: ChatOpenAI's own retries are off and every failure becomes an
`LLMError` whose outcome names the fault, so that `ResilientEngine` is the only retry policy.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any, Literal

import httpx
import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from coach.llm.base import CallLog, ChatEngine, LLMError, StructuredCall, T

StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]


class OpenAIEngine(ChatEngine):
    """Structured output from `ChatOpenAI`; answers that do not fit the schema raise LLMError."""

    provider = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 0,
        method: StructuredMethod = "function_calling",
        call_log: CallLog | None = None,
    ) -> None:
        """`max_retries` is ChatOpenAI's own; leave it at 0 and wrap in `ResilientEngine`."""
        super().__init__(call_log)
        self.model = model
        self.base_url = base_url or "https://api.openai.com/v1"
        self.method: StructuredMethod = method
        self.chat = ChatOpenAI(
            model=model,
            api_key=SecretStr(api_key),
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            temperature=0.2,
        )

    @staticmethod
    def _messages(call: StructuredCall[T]) -> list[BaseMessage]:
        messages: list[BaseMessage] = []
        if call.prompt.system:
            messages.append(SystemMessage(content=call.prompt.system))
        messages.append(HumanMessage(content=call.prompt.user))
        return messages

    def _runnable(self, call: StructuredCall[T]) -> Any:
        return self.chat.with_structured_output(call.schema, method=self.method, include_raw=True)

    @staticmethod
    def _unpack(
        call: StructuredCall[T], result: dict[str, Any]
    ) -> tuple[T, int | None, int | None]:
        raw = result.get("raw")
        usage = getattr(raw, "usage_metadata", None) or {}
        parsed = result.get("parsed")
        if result.get("parsing_error") is not None or parsed is None:
            fault = f"answer did not fit {call.schema.__name__} ({_what_came_back(raw)})"
            raise LLMError(
                f"{fault}: {result.get('parsing_error')}", outcome="invalid", fault=fault
            )
        output = parsed if isinstance(parsed, call.schema) else call.schema.model_validate(parsed)
        return output, usage.get("input_tokens"), usage.get("output_tokens")

    def _produce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        try:
            result = self._runnable(call).invoke(self._messages(call))
        except _FAULTS as exc:
            raise _classify(exc) from exc
        return self._unpack(call, result)

    async def _aproduce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        try:
            result = await self._runnable(call).ainvoke(self._messages(call))
        except _FAULTS as exc:
            raise _classify(exc) from exc
        return self._unpack(call, result)


# openai.APIError covers every HTTP and transport failure; ValueError is what LangChain raises
# when a 200 response is not a chat completion at all (an HTML page from a proxy, say).
_FAULTS = (openai.APIError, ValueError)


def _what_came_back(raw: object) -> str:
    finish = (getattr(raw, "response_metadata", None) or {}).get("finish_reason")
    if finish == "length":
        return "truncated: finish_reason=length"
    if getattr(raw, "invalid_tool_calls", None):
        return "tool arguments are not valid JSON"
    if not getattr(raw, "tool_calls", None) and getattr(raw, "content", None):
        return "plain text instead of a structured answer"
    return "does not match the schema"


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if present."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass  # malformed: fall through to Retry-After
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass  # not seconds: an HTTP date
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: back off as if it were absent
    return max(0.0, when.timestamp() - time.time())


def _root_cause(exc: BaseException) -> str:
    """The transport error under the client's wrappers, e.g. RemoteProtocolError."""
    found: BaseException = exc
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, httpx.TransportError):
            found = cause
        cause = cause.__cause__
    return type(found).__name__


def _classify(exc: Exception) -> LLMError:
    """The LLMError naming what went wrong in one attempt."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"timeout: {exc}", outcome="timeout")
    if isinstance(exc, openai.APIConnectionError):
        fault = f"connection failed ({_root_cause(exc)})"
        return LLMError(f"{fault}: {exc}", outcome="connection", fault=fault)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        wait = _retry_after(exc.response.headers)
        if status == 429:
            outcome = "rate_limited"
        elif status == 408:
            outcome = "timeout"
        elif status >= 500:
            outcome = "server_error"
        else:
            outcome = "error"
        return LLMError(f"HTTP {status}: {exc}", outcome=outcome, status=status, retry_after=wait)
    if isinstance(exc, openai.APIError):
        return LLMError(f"{type(exc).__name__}: {exc}", outcome="error")
    return LLMError(
        f"not a chat completion: {exc}", outcome="invalid", fault="not a chat completion"
    )
