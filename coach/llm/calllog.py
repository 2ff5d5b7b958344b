"""Call records stored in the database, each in its own short transaction."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import Session

from coach.llm.base import CallRecord
from coach.models import LLMCall

logger = logging.getLogger("coach.llm")


class DatabaseCallLog:
    """Writes every call to the `llm_calls` table and to the `coach.llm` logger."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, entry: CallRecord) -> None:
        """Store one call record."""
        logger.info(
            "llm call provider=%s model=%s purpose=%s template=%s outcome=%s latency_ms=%.1f",
            entry.provider,
            entry.model,
            entry.purpose,
            entry.template_id,
            entry.outcome,
            entry.latency_ms,
        )
        with Session(self.engine) as session:
            session.add(LLMCall(**entry.__dict__))
            session.commit()
