"""The offline engine: answers every call from the records with the chain's own composer."""

from __future__ import annotations

import asyncio

from coach.llm.base import CallLog, ChatEngine, StructuredCall, T


class OfflineEngine(ChatEngine):
    """Deterministic, local, always available; the default engine."""

    provider = "offline"
    model = "coach-offline-1"

    def __init__(self, call_log: CallLog | None = None) -> None:
        super().__init__(call_log)

    def _produce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        return call.schema.model_validate(call.offline().model_dump()), None, None

    async def _aproduce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        # The composer reads every record: off the event loop, like the rest of a request.
        return await asyncio.to_thread(self._produce, call)
