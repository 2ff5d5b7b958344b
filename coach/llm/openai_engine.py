"""An OpenAI-compatible chat endpoint (OpenAI, DeepSeek, DashScope, vLLM, Ollama, llama.cpp).

One call may take several requests, but every failure the caller sees is one `LLMError`
whose outcome names the fault, so that `ResilientEngine` stays the only retry policy.

How a structured answer is asked for (`COACH_LLM_STRUCTURED_METHOD`):
- `function_calling`: one tool with the schema as its parameters, forced by `tool_choice`;
- `json_schema`: `response_format: {"type": "json_schema"}`;
- `json_mode`: `response_format: {"type": "json_object"}` and the schema in the prompt
  (which therefore contains the word "json", as DeepSeek, DashScope and OpenAI require);
- `auto` (the default): those three in that order. A 400/422 that refuses a method
  (tools, `json_schema`, `json_object`) moves this engine to the next one and it stays
  there: the engine serves one endpoint and model, so it remembers for both.

Whatever the method, a 400/422 about a single request field is answered by sending the
request again without it, once per engine: a forced `tool_choice` (vLLM without a tool
parser, DashScope in thinking mode), `temperature` (reasoning models), `max_tokens`
(models that want `max_completion_tokens`), `response_format` (servers with no JSON mode;
the schema stays in the prompt). These refusals are configuration, not an unwell
endpoint: their outcome `unsupported` is neither retried nor counted by the breaker.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import openai
from langchain_core.utils.function_calling import convert_to_openai_tool

from coach.core.prompts import render
from coach.llm.answers import keys_of, parse_answer, quote, read_completion, tokens
from coach.llm.base import CallLog, ChatEngine, LLMError, StructuredCall, T

logger = logging.getLogger("coach.llm")

StructuredMethod = Literal["auto", "function_calling", "json_schema", "json_mode"]
Method = Literal["function_calling", "json_schema", "json_mode"]
AUTO_ORDER: tuple[Method, ...] = ("function_calling", "json_schema", "json_mode")
CONFIG_STATUSES = frozenset({400, 422})


@dataclass
class EndpointMemory:
    """What one endpoint and model refused, learned from its 400/422 answers."""

    refused_methods: set[str] = field(default_factory=set)
    dropped_fields: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class OpenAIEngine(ChatEngine):
    """Structured output from an OpenAI-compatible `/chat/completions`; see the module doc."""

    provider = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 0,
        method: StructuredMethod = "auto",
        max_tokens: int | None = 4096,
        temperature: float | None = 0.2,
        call_log: CallLog | None = None,
    ) -> None:
        """`max_retries` is the SDK's own; leave it at 0 and wrap in `ResilientEngine`."""
        super().__init__(call_log)
        self.model = model
        self.base_url = base_url or "https://api.openai.com/v1"
        self.method: StructuredMethod = method
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.memory = EndpointMemory()
        self.client = openai.OpenAI(
            api_key=api_key, base_url=self.base_url, timeout=timeout, max_retries=max_retries
        )
        self.aclient = openai.AsyncOpenAI(
            api_key=api_key, base_url=self.base_url, timeout=timeout, max_retries=max_retries
        )

    # -- choosing what to send -------------------------------------------------------------

    def current_method(self) -> Method:
        """The method the next request uses: the configured one, or auto's current choice."""
        if self.method != "auto":
            return self.method
        with self.memory.lock:
            for method in AUTO_ORDER:
                if method not in self.memory.refused_methods:
                    return method
        return "json_mode"  # never refused as a whole: its response_format is dropped instead

    def request_body(self, call: StructuredCall[T], method: Method) -> dict[str, Any]:
        """The JSON body of one `/chat/completions` request for `call` by `method`."""
        with self.memory.lock:
            dropped = set(self.memory.dropped_fields)
        name = call.schema.__name__
        schema = call.schema.model_json_schema()
        system = call.prompt.system
        if method == "json_mode":
            instruction = render(
                "llm/json_answer.j2",
                name=name,
                schema=json.dumps(schema, ensure_ascii=False),
                keys=keys_of(call.schema),
            ).user
            system = f"{system}\n\n{instruction}" if system else instruction
        messages: list[dict[str, str]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": call.prompt.user})
        if call.feedback:
            messages.append(
                {"role": "user", "content": render("llm/repair.j2", problem=call.feedback).user}
            )
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.temperature is not None and "temperature" not in dropped:
            body["temperature"] = self.temperature
        if self.max_tokens:
            key = "max_completion_tokens" if "max_tokens" in dropped else "max_tokens"
            body[key] = self.max_tokens
        if method == "function_calling":
            body["tools"] = [convert_to_openai_tool(call.schema)]
            if "tool_choice" not in dropped:
                body["tool_choice"] = {"type": "function", "function": {"name": name}}
        elif method == "json_schema":
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": name, "schema": schema, "strict": False}}  # fmt: skip
        elif "response_format" not in dropped:
            body["response_format"] = {"type": "json_object"}
        return body

    def learn(self, exc: LLMError, method: Method) -> bool:
        """Remember what a 400/422 refused; True when a changed request may succeed."""
        refused = refused_part(exc, method)
        if refused is None:
            return False
        with self.memory.lock:
            if refused in ("tools", "json_schema"):
                if self.method != "auto" or method in self.memory.refused_methods:
                    return False
                self.memory.refused_methods.add(method)
            elif refused in self.memory.dropped_fields:
                return False
            else:
                self.memory.dropped_fields.add(refused)
        logger.info(
            "llm endpoint %s %s refused %s (%s); next: %s",
            self.base_url,
            self.model,
            refused,
            exc.server_message,
            self.current_method(),
        )
        return True

    # -- one call --------------------------------------------------------------------------

    def _attempts(self) -> int:
        # Each refusal teaches one thing, so this bounds the requests of one call.
        return len(AUTO_ORDER) + 4

    def _produce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        for _ in range(self._attempts()):
            method = self.current_method()
            started = time.perf_counter()
            try:
                response = self.client.post(
                    "/chat/completions",
                    body=self.request_body(call, method),
                    cast_to=httpx.Response,
                )
            except openai.APIError as exc:
                error = self._refusal_to_learn_from(exc, method)
                self._log(call, started, error.outcome, error=str(error))
                continue
            return self._answer(call, response.text)
        raise LLMError("the endpoint kept refusing the request", outcome="unsupported")

    async def _aproduce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        for _ in range(self._attempts()):
            method = self.current_method()
            started = time.perf_counter()
            try:
                response = await self.aclient.post(
                    "/chat/completions",
                    body=self.request_body(call, method),
                    cast_to=httpx.Response,
                )
            except openai.APIError as exc:
                error = self._refusal_to_learn_from(exc, method)
                await asyncio.to_thread(self._log, call, started, error.outcome, error=str(error))
                continue
            return self._answer(call, response.text)
        raise LLMError("the endpoint kept refusing the request", outcome="unsupported")

    def _refusal_to_learn_from(self, exc: openai.APIError, method: Method) -> LLMError:
        """The fault of a failed request once learned from, so the next request differs;
        raised instead when nothing can be learned from it."""
        error = _classify(exc)
        if not self.learn(error, method):
            raise error from exc
        return error

    @staticmethod
    def _answer(call: StructuredCall[T], text: str) -> tuple[T, int | None, int | None]:
        completion = read_completion(text)
        tin, tout = tokens(completion)
        return parse_answer(completion, call.schema), tin, tout


def refused_part(exc: LLMError, method: Method) -> str | None:
    """Which part of the request a 400/422 refuses, from the server's own words, or None.

    "tools" and "json_schema" refuse the method; the others name one request field.
    """
    if exc.outcome != "unsupported" or not exc.server_message:
        return None
    said = exc.server_message.lower()
    if "tool_choice" in said or "tool choice" in said:
        return "tool_choice" if method == "function_calling" else None
    if "temperature" in said:
        return "temperature"
    if "max_tokens" in said and "max_completion_tokens" in said:
        return "max_tokens"
    if method == "function_calling" and ("tool" in said or "function call" in said):
        return "tools"
    if method == "json_schema" and ("response_format" in said or "json_schema" in said):
        return "json_schema"
    if method == "json_mode" and ("response_format" in said or "json" in said):
        return "response_format"
    return None


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


def server_message(response: httpx.Response) -> str:
    """The endpoint's own explanation of an error status: its message, else its body."""
    try:
        body = response.json()
    except ValueError:
        return quote(response.text)
    said: Any = body
    if isinstance(said, dict):
        said = said.get("error", said.get("message", said.get("detail", said)))
    if isinstance(said, dict):
        said = said.get("message", said)
    return quote(said if isinstance(said, str) else json.dumps(said, ensure_ascii=False))


def _classify(exc: openai.APIError) -> LLMError:
    """The LLMError naming what went wrong in one request."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"timeout: {exc}", outcome="timeout")
    if isinstance(exc, openai.APIConnectionError):
        fault = f"connection failed ({_root_cause(exc)})"
        return LLMError(f"{fault}: {exc}", outcome="connection", fault=fault)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        said = server_message(exc.response)
        wait = _retry_after(exc.response.headers)
        if is_configuration_refusal(status, said):
            outcome = "unsupported"
        elif status == 429:
            outcome = "rate_limited"
        elif status == 408:
            outcome = "timeout"
        elif status >= 500:
            outcome = "server_error"
        else:
            outcome = "error"
        return LLMError(
            f"HTTP {status}: {said}",
            outcome=outcome,
            status=status,
            retry_after=wait,
            server_message=said,
        )
    return LLMError(f"{type(exc).__name__}: {exc}", outcome="error")


_CONFIG_WORDS = ("tool", "function call", "response_format", "json", "temperature", "max_tokens")


def is_configuration_refusal(status: int, said: str) -> bool:
    """Whether an error status refuses a request field rather than the request's content.

    llama-cpp-python answers an unsupported `response_format` with 500 instead of 422
    (https://github.com/ggml-org/llama.cpp/issues/23463): that 500 is a refusal too.
    """
    lowered = said.lower()
    if status in CONFIG_STATUSES:
        return any(word in lowered for word in _CONFIG_WORDS)
    return status == 500 and "response_format" in lowered
