"""Call records stored in the database by one background writer.

A request that calls a model usually holds a pooled connection already; writing its call
record through a second connection from the same pool deadlocks once every pooled
connection belongs to a request waiting for another. Records therefore go through a queue
to a single writer thread with its own connection.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from coach.core.models import LLMCall
from coach.llm.base import CallRecord

logger = logging.getLogger("coach.llm")

_BATCH = 200


class DatabaseCallLog:
    """Writes every call to the `llm_calls` table (in the background) and to the `coach.llm` logger."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.Queue[CallRecord] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def record(self, entry: CallRecord) -> None:
        """Log one call now and queue it for the database."""
        logger.info(
            "llm call provider=%s model=%s purpose=%s template=%s outcome=%s latency_ms=%.1f",
            entry.provider,
            entry.model,
            entry.purpose,
            entry.template_id,
            entry.outcome,
            entry.latency_ms,
        )
        self._ensure_writer()
        self._queue.put(entry)

    def flush(self) -> None:
        """Wait until every queued record has been written (or failed and been logged)."""
        if self._writer is not None:
            self._queue.join()

    def _ensure_writer(self) -> None:
        with self._start_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._run, name="coach-call-log", daemon=True
                )
                self._writer.start()
                atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with Session(self.engine) as session:
                    session.add_all(LLMCall(**entry.__dict__) for entry in batch)
                    session.commit()
            except SQLAlchemyError:
                # The call itself already succeeded or failed on its own; losing its log row
                # must not take the service down, but it must be visible.
                logger.exception("could not store %d llm call records", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
