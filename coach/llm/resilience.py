"""Retries within a deadline and a circuit breaker around one engine: the only retry policy.

A generation gets up to `1 + max_retries` attempts within `deadline` seconds. Between
attempts it sleeps with exponential backoff and full jitter (`uniform(0, min(cap, base*2^n))`),
or for as long as the endpoint's Retry-After asks when that still fits in the deadline.

Each endpoint (base URL + model) has a breaker: after `threshold` consecutive failed attempts
it opens and calls fail fast with outcome `circuit_open`; after `cooldown` seconds it lets one
trial call through (half-open), whose result closes or reopens it. An invalid answer shows
the endpoint is up: it does not count against the breaker and is asked again once, with
what was wrong in the prompt (asking the same thing again would get the same answer).
A truncated or filtered answer, or a 400/422 refusing a request field (`unsupported`),
is neither retried nor counted: it says how the endpoint is configured, not that it is down.

When the engine gives up it raises `LLMError` whose message names the fault ("429 rate
limited after 3 attempts", "circuit open ..."); chains answer offline instead and keep that
message as the draft's `fallback_reason`. The wrapped engine logs every attempt; this layer
logs only what never reached it (fast failures, attempts cut off by the deadline).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from coach.llm.base import ChatEngine, Generation, LLMError, StructuredCall, T

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

RETRYABLE = frozenset({"timeout", "connection", "rate_limited", "server_error", "invalid"})
INVALID_RETRIES = 1  # an answer off the schema is asked again once, with the errors
# Faults that say the endpoint itself is unwell.
BREAKER_FAULTS = frozenset({"timeout", "connection", "rate_limited", "server_error", "error"})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, how long in total, and how long to wait between attempts."""

    max_retries: int = 2
    deadline: float = 90.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Full jitter: a uniform wait up to the capped exponential step for this retry."""
        return rng.uniform(0.0, min(self.backoff_max, self.backoff_base * 2**retry))


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one endpoint; thread-safe (sync routes run in threads)."""

    def __init__(
        self,
        name: str,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self._opened_at: float | None = None
        self._trial_started: float | None = None

    @property
    def state(self) -> BreakerState:
        """Closed, open, or half-open (cool-down over: the next call is a trial)."""
        with self._lock:
            return self._state(self._clock())

    def _state(self, now: float) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if now - self._opened_at >= self.cooldown:
            return BreakerState.half_open
        return BreakerState.open

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open state only one trial at a time."""
        with self._lock:
            now = self._clock()
            state = self._state(now)
            if state is BreakerState.closed:
                return True
            if state is BreakerState.open:
                return False
            # A trial whose caller vanished (cancelled) must not block the endpoint forever.
            if self._trial_started is not None and now - self._trial_started < self.cooldown:
                return False
            self._trial_started = now
            return True

    def retry_in(self) -> float:
        """Seconds until the next trial call is allowed."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._opened_at + self.cooldown - self._clock())

    def record_success(self) -> None:
        """The endpoint answered: close."""
        with self._lock:
            self.failures, self._opened_at, self._trial_started = 0, None, None

    def record_failure(self) -> None:
        """The endpoint failed: open after `threshold` in a row, or at once after a failed trial."""
        with self._lock:
            self.failures += 1
            if self._trial_started is not None or self.failures >= self.threshold:
                self._opened_at = self._clock()
                self._trial_started = None


def describe(exc: LLMError) -> str:
    """A short name for the fault and the endpoint's own words, for fallback reasons."""
    said = f': "{exc.server_message}"' if exc.server_message else ""
    if exc.outcome == "rate_limited":
        return f"429 rate limited{said}"
    if exc.outcome == "server_error":
        return f"{exc.status or '5xx'} server error{said}"
    if exc.outcome == "timeout":
        return "timeout" if exc.status is None else f"{exc.status} timeout"
    if exc.outcome == "unsupported" and exc.status is not None:
        return f"HTTP {exc.status}: the endpoint does not support this request{said}"
    if exc.outcome == "error" and exc.status is not None:
        return f"HTTP {exc.status} refused{said}"
    return exc.fault or exc.outcome


def _attempts(n: int) -> str:
    return f"{n} attempt" + ("" if n == 1 else "s")


class _Run:
    """The bookkeeping of one generation: attempts made, time left, the last fault."""

    def __init__(self, engine: ResilientEngine, call: StructuredCall[Any]) -> None:
        self.engine = engine
        self.deadline = call.deadline
        self.policy = engine.policy
        self.breaker = engine.breaker
        self.started = engine.clock()
        self.attempts = 0
        self.invalid = 0
        self.last: LLMError | None = None

    def remaining(self) -> float:
        left = self.policy.deadline - (self.engine.clock() - self.started)
        # The request's deadline started before this call (loading the records counts too).
        return left if self.deadline is None else min(left, self.deadline.remaining())

    def _give_up(self, why: str) -> LLMError:
        assert self.last is not None
        return LLMError(
            f"{describe(self.last)} after {_attempts(self.attempts)}{why}",
            outcome=self.last.outcome,
            status=self.last.status,
            server_message=self.last.server_message,
        )

    def refusal(self) -> LLMError | None:
        """Why the next attempt must not go out, or None to go ahead."""
        if self.remaining() <= 0:
            if not self.attempts:
                return LLMError(
                    f"timeout: the {self.policy.deadline:g}s deadline was spent before the call",
                    outcome="timeout",
                )
            return self._give_up(f"; deadline {self.policy.deadline:g}s reached")
        if not self.breaker.allow():
            if self.last is not None:
                return self._give_up("; circuit opened")
            return LLMError(
                f"circuit open for {self.breaker.name} ({self.breaker.failures} consecutive "
                f"failures; next trial in {self.breaker.retry_in():.0f}s)",
                outcome="circuit_open",
            )
        self.attempts += 1
        return None

    def succeeded(self) -> None:
        self.breaker.record_success()

    @staticmethod
    def next_call(call: StructuredCall[T], exc: LLMError) -> StructuredCall[T]:
        """The call to send next: after an invalid answer, with what was wrong with it."""
        return replace(call, feedback=str(exc)) if exc.outcome == "invalid" else call

    def failed(self, exc: LLMError) -> float | LLMError:
        """The seconds to wait before the next attempt, or the error to give up with."""
        self.last = exc
        if exc.outcome in BREAKER_FAULTS:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        if exc.outcome not in RETRYABLE:
            return self._give_up(" (not retryable)")
        if self.attempts > self.policy.max_retries:
            return self._give_up("")
        if exc.outcome == "invalid":
            self.invalid += 1
            if self.invalid > INVALID_RETRIES:
                return self._give_up("")
        remaining = self.remaining()
        if exc.retry_after is not None:
            if exc.retry_after > remaining:
                return self._give_up(
                    f"; Retry-After {exc.retry_after:g}s exceeds the {max(remaining, 0):.1f}s "
                    "left of the deadline"
                )
            return exc.retry_after
        delay = self.policy.backoff(self.attempts - 1, self.engine.rng)
        if delay >= remaining:
            return self._give_up(f"; deadline {self.policy.deadline:g}s reached")
        return delay


def endpoint_name(engine: ChatEngine) -> str:
    """What identifies an endpoint for its breaker: base URL and model."""
    return f"{getattr(engine, 'base_url', engine.provider)} {engine.model}"


class ResilientEngine(ChatEngine):
    """Another engine with retries, backoff, a deadline and a circuit breaker."""

    def __init__(
        self,
        inner: ChatEngine,
        *,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Sleep = time.sleep,
        asleep: AsyncSleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(inner.call_log)
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.policy = policy or RetryPolicy()
        self.breaker = breaker or CircuitBreaker(endpoint_name(inner), clock=clock)
        self.sleep = sleep
        self.asleep = asleep
        self.clock = clock
        self.rng = rng or random.Random()

    def _produce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        # Unused: generate/agenerate drive the wrapped engine, which logs each attempt.
        return self.inner._produce(call)

    def generate(self, call: StructuredCall[T]) -> Generation[T]:
        """Answer a call, retrying faults within the deadline; raise LLMError on giving up."""
        run = _Run(self, call)
        while True:
            started = time.perf_counter()
            if (refused := run.refusal()) is not None:
                if refused.outcome == "circuit_open" or not run.attempts:
                    self._log(call, started, refused.outcome, error=str(refused))
                raise refused
            try:
                generation = self.inner.generate(call)
            except LLMError as exc:
                verdict = run.failed(exc)
                if isinstance(verdict, LLMError):
                    raise verdict from exc
                call = run.next_call(call, exc)
                self.sleep(verdict)
                continue
            run.succeeded()
            return generation

    async def agenerate(self, call: StructuredCall[T]) -> Generation[T]:
        """Answer a call without blocking, each attempt cut off where the deadline ends."""
        run = _Run(self, call)
        while True:
            started = time.perf_counter()
            if (refused := run.refusal()) is not None:
                if refused.outcome == "circuit_open" or not run.attempts:
                    await asyncio.to_thread(
                        self._log, call, started, refused.outcome, error=str(refused)
                    )
                raise refused
            try:
                generation = await asyncio.wait_for(
                    self.inner.agenerate(call), timeout=max(run.remaining(), 0.001)
                )
            except TimeoutError:
                # Cancelled mid-call, so the wrapped engine logged nothing: log it here.
                exc = LLMError(
                    f"timeout: no answer within the {self.policy.deadline:g}s deadline",
                    outcome="timeout",
                )
                await asyncio.to_thread(self._log, call, started, exc.outcome, error=str(exc))
                verdict = run.failed(exc)
            except LLMError as exc:
                verdict = run.failed(exc)
                call = run.next_call(call, exc)
            else:
                run.succeeded()
                return generation
            if isinstance(verdict, LLMError):
                raise verdict
            await self.asleep(verdict)
