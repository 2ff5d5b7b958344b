"""Build the chat engine the settings ask for."""

from __future__ import annotations

from coach.llm.base import CallLog, ChatEngine
from coach.llm.offline import OfflineEngine
from coach.llm.openai_engine import OpenAIEngine
from coach.settings import Settings


def build_engine(settings: Settings, call_log: CallLog | None = None) -> ChatEngine:
    """The offline engine by default, an OpenAI-compatible one when configured."""
    if settings.llm_provider == "openai":
        assert settings.openai_api_key is not None  # the settings validator guarantees it
        return OpenAIEngine(
            model=settings.llm_model,
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            method=settings.llm_structured_method,
            call_log=call_log,
        )
    return OfflineEngine(call_log)
