"""Chat engines behind one interface: the offline composer or an OpenAI-compatible LLM."""

from coach.llm.base import (
    CallLog,
    CallRecord,
    ChatEngine,
    Deadline,
    Generation,
    LLMError,
    NullCallLog,
    StructuredCall,
)
from coach.llm.calllog import DatabaseCallLog
from coach.llm.factory import build_engine
from coach.llm.offline import OfflineEngine
from coach.llm.openai_engine import OpenAIEngine
from coach.llm.resilience import CircuitBreaker, ResilientEngine, RetryPolicy

__all__ = [
    "CallLog",
    "CallRecord",
    "ChatEngine",
    "CircuitBreaker",
    "DatabaseCallLog",
    "Deadline",
    "Generation",
    "LLMError",
    "NullCallLog",
    "OfflineEngine",
    "OpenAIEngine",
    "ResilientEngine",
    "RetryPolicy",
    "StructuredCall",
    "build_engine",
]
