"""Build the chat engine the settings ask for."""

from __future__ import annotations

from coach.core.settings import Settings
from coach.llm.base import CallLog, ChatEngine
from coach.llm.offline import OfflineEngine
from coach.llm.openai_engine import OpenAIEngine
from coach.llm.resilience import CircuitBreaker, ResilientEngine, RetryPolicy, endpoint_name


def build_engine(settings: Settings, call_log: CallLog | None = None) -> ChatEngine:
    """The offline engine by default; an OpenAI-compatible one, made resilient, when configured."""
    if settings.llm_provider == "openai":
        assert settings.openai_api_key is not None  # the settings validator guarantees it
        inner = OpenAIEngine(
            model=settings.llm_model,
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            # No single attempt may outlast the whole generation's deadline.
            timeout=min(settings.llm_timeout, settings.llm_deadline),
            method=settings.llm_structured_method,
            max_tokens=settings.llm_max_tokens or None,
            temperature=settings.llm_temperature,
            call_log=call_log,
        )
        policy = RetryPolicy(
            max_retries=settings.llm_max_retries,
            deadline=settings.llm_deadline,
            backoff_base=settings.llm_backoff_base,
            backoff_max=settings.llm_backoff_max,
        )
        # One engine per process (the app or a CLI command), hence one breaker per endpoint.
        breaker = CircuitBreaker(
            endpoint_name(inner),
            threshold=settings.llm_breaker_threshold,
            cooldown=settings.llm_breaker_cooldown,
        )
        return ResilientEngine(inner, policy=policy, breaker=breaker)
    return OfflineEngine(call_log)
