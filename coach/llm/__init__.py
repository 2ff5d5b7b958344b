"""Chat engines behind one interface: the offline composer or an OpenAI-compatible LLM."""

from coach.llm.base import (
    CallLog,
    CallRecord,
    ChatEngine,
    Generation,
    LLMError,
    NullCallLog,
    StructuredCall,
)
from coach.llm.calllog import DatabaseCallLog
from coach.llm.factory import build_engine
from coach.llm.offline import OfflineEngine
from coach.llm.openai_engine import OpenAIEngine

__all__ = [
    "CallLog",
    "CallRecord",
    "ChatEngine",
    "DatabaseCallLog",
    "Generation",
    "LLMError",
    "NullCallLog",
    "OfflineEngine",
    "OpenAIEngine",
    "StructuredCall",
    "build_engine",
]
