"""The one interface every chain talks to, whichever engine answers.

A chain describes a call as a `StructuredCall`: the rendered prompt, the Pydantic schema
the answer must fit, and `offline`, the deterministic composer that builds the same kind
of answer from the records alone. The offline engine runs the composer; an LLM engine
sends the prompt. Either way the chain gets a validated object of its schema back.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from coach.core.errors import CoachError
from coach.core.prompts import RenderedPrompt

T = TypeVar("T", bound=BaseModel)


class LLMError(CoachError):
    """A model call failed: the endpoint errored or its answer did not fit the schema.

    `outcome` names the fault (see `OUTCOMES`); `status` is the HTTP status when there was
    one, `retry_after` the seconds the endpoint asked us to wait (429/503 Retry-After),
    `fault` a short description of what went wrong and `server_message` the first 200
    characters of the endpoint's own explanation, which fallback reasons quote.
    """

    def __init__(
        self,
        message: str,
        *,
        outcome: str,
        status: int | None = None,
        retry_after: float | None = None,
        fault: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.status = status
        self.retry_after = retry_after
        self.fault = fault  # a short name for the fault, for fallback reasons
        self.server_message = server_message


# What an LLMError's outcome may be; the call log stores it (max 20 characters).
OUTCOMES = {
    "timeout": "the endpoint did not answer in time",
    "connection": "the connection failed or was reset",
    "rate_limited": "HTTP 429",
    "server_error": "HTTP 5xx",
    "error": "any other refusal (4xx): not retried",
    "unsupported": "a 400/422 refusing a request field (tools, response_format, ...): not retried",
    "invalid": "an answer that is not JSON or off the schema: retried once with the errors",
    "truncated": "the answer stopped at the output limit (finish_reason=length)",
    "filtered": "the server's content filter refused the answer",
    "circuit_open": "not sent: the endpoint's circuit breaker is open",
}


@dataclass(frozen=True)
class Deadline:
    """When the request a call serves must be answered, on the monotonic clock."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()


@dataclass
class StructuredCall(Generic[T]):
    """A request for one structured answer; `deadline` bounds every attempt at it.

    `draft_id` names the draft the answer goes into, so that its call records join it.
    """

    purpose: str
    prompt: RenderedPrompt
    schema: type[T]
    offline: Callable[[], T]
    retrieved_ids: list[str] = field(default_factory=list)
    deadline: Deadline | None = None
    draft_id: str | None = None
    # Why the previous answer to this call could not be used; sent along when asking again.
    feedback: str | None = None


@dataclass
class Generation(Generic[T]):
    """A validated answer and how it was produced."""

    output: T
    provider: str
    model: str
    template_id: str
    template_hash: str
    latency_ms: float
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass
class CallRecord:
    """What is logged about every call, successful or not."""

    provider: str
    model: str
    purpose: str
    template_id: str
    template_hash: str
    latency_ms: float
    outcome: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str | None = None
    retrieved_ids: list[str] = field(default_factory=list)
    draft_id: str | None = None


class CallLog(Protocol):
    """Where call records go."""

    def record(self, entry: CallRecord) -> None: ...


class NullCallLog:
    """Discards call records; for one-off scripts."""

    def record(self, entry: CallRecord) -> None:
        """Ignore the record."""


class ChatEngine(ABC):
    """Produces structured answers; subclasses differ only in how."""

    provider: str
    model: str

    def __init__(self, call_log: CallLog | None = None) -> None:
        self.call_log: CallLog = call_log or NullCallLog()

    @abstractmethod
    def _produce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        """The answer and its input/output token counts, or raise LLMError."""

    async def _aproduce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        return self._produce(call)

    def _log(self, call: StructuredCall[T], started: float, outcome: str, **extra: object) -> float:
        latency = (time.perf_counter() - started) * 1000
        self.call_log.record(
            CallRecord(
                provider=self.provider,
                model=self.model,
                purpose=call.purpose,
                template_id=call.prompt.template_id,
                template_hash=call.prompt.template_hash,
                latency_ms=latency,
                outcome=outcome,
                retrieved_ids=call.retrieved_ids,
                draft_id=call.draft_id,
                **extra,  # type: ignore[arg-type]
            )
        )
        return latency

    def _generation(
        self, call: StructuredCall[T], output: T, latency: float, tin: int | None, tout: int | None
    ) -> Generation[T]:
        return Generation(
            output=output,
            provider=self.provider,
            model=self.model,
            template_id=call.prompt.template_id,
            template_hash=call.prompt.template_hash,
            latency_ms=latency,
            input_tokens=tin,
            output_tokens=tout,
        )

    def generate(self, call: StructuredCall[T]) -> Generation[T]:
        """Answer a call, logging it whatever happens."""
        started = time.perf_counter()
        try:
            output, tin, tout = self._produce(call)
        except LLMError as exc:
            self._log(call, started, exc.outcome, error=str(exc))
            raise
        latency = self._log(call, started, "ok", input_tokens=tin, output_tokens=tout)
        return self._generation(call, output, latency, tin, tout)

    async def agenerate(self, call: StructuredCall[T]) -> Generation[T]:
        """Answer a call without blocking the event loop, logging it whatever happens."""
        started = time.perf_counter()
        try:
            output, tin, tout = await self._aproduce(call)
        except LLMError as exc:
            # The call log writes to the database: keep that off the event loop.
            await asyncio.to_thread(self._log, call, started, exc.outcome, error=str(exc))
            raise
        latency = await asyncio.to_thread(
            self._log, call, started, "ok", input_tokens=tin, output_tokens=tout
        )
        return self._generation(call, output, latency, tin, tout)
