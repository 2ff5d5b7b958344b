"""Fixtures for the reliability tests: a fake clock whose sleeps return at once."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from coach.llm import CallRecord
from tests.chains.conftest import knowledge  # noqa: F401  (the session-wide practice library)


@dataclass
class FakeTime:
    """A monotonic clock that sleeping advances, so backoff is observable and costs nothing."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class ListLog:
    """A call log that keeps its records in memory."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def record(self, entry: CallRecord) -> None:
        self.records.append(entry)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
