from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import LLMCall
from coach.llm import CallRecord, DatabaseCallLog


def _record(n: int) -> CallRecord:
    return CallRecord(provider="openai", model="m", purpose="test", template_id="t.j2", template_hash="h",
                      latency_ms=float(n), outcome="ok", input_tokens=n, retrieved_ids=[f"doc-{n}"])  # fmt: skip


def test_every_call_is_stored(engine: Engine) -> None:
    log = DatabaseCallLog(engine)
    for n in range(5):
        log.record(_record(n))
    log.flush()
    with Session(engine) as session:
        rows = session.exec(select(LLMCall).order_by(LLMCall.latency_ms)).all()  # type: ignore[arg-type]
    assert [r.input_tokens for r in rows] == [0, 1, 2, 3, 4]
    assert rows[2].retrieved_ids == ["doc-2"] and rows[0].template_id == "t.j2"


def test_recording_needs_no_second_connection_while_the_caller_holds_one(engine: Engine) -> None:
    log = DatabaseCallLog(engine)
    with Session(engine) as held:
        held.exec(select(LLMCall)).all()  # the caller's request session has a connection
        log.record(_record(1))  # returns at once; the writer uses its own connection
    log.flush()
    with Session(engine) as session:
        assert len(session.exec(select(LLMCall)).all()) == 1
