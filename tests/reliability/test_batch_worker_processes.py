"""Two real server processes share the batches of one database; kill -9 of one loses nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from coach.core.db import make_engine, migrate
from coach.core.models import (
    AuditEvent,
    BatchItem,
    BatchItemStatus,
    Draft,
    DraftStatus,
    Employee,
)
from coach.core.settings import Settings
from coach.demo import seed_demo
from tests.chains.conftest import AS_OF, auth
from tests.server import api_process

LLM_SECONDS = 0.25  # each item waits this long on the model, so a kill lands mid-item
STARTUP_SECONDS = 90  # importing the app is slow on a busy machine


class _SlowDownLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that is down, slowly: every item falls back offline."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(LLM_SECONDS)
        body = b'{"error": {"message": "down"}}'
        try:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker stopped waiting: its item was taken over or its process killed

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def slow_llm() -> Iterator[str]:
    """The base URL of a `_SlowDownLLM` on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowDownLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _items(db: Engine) -> list[BatchItem]:
    with Session(db) as session:
        return list(session.exec(select(BatchItem).order_by(col(BatchItem.id))).all())


def _until(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.05)


def test_a_killed_worker_s_items_are_finished_once_by_the_other(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(home=tmp_path / "server-home", database_url=database_url)
    settings.ensure_home()
    db = make_engine(settings.resolved_database_url)
    migrate(db)
    with Session(db) as session:
        tokens = seed_demo(session)
        session.commit()
        everyone = list(session.exec(select(Employee.employee_id)).all())
    with slow_llm() as llm_url:
        env = {
            "COACH_HOME": str(settings.home), "COACH_DATABASE_URL": database_url,
            "COACH_LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "OPENAI_BASE_URL": llm_url, "COACH_LLM_MAX_RETRIES": "0",
            "COACH_LLM_BREAKER_THRESHOLD": "1000000", "COACH_LLM_CONCURRENCY": "2",
            "COACH_BATCH_LEASE_SECONDS": "5", "COACH_BATCH_HEARTBEAT_SECONDS": "0.5",
            "COACH_BATCH_POLL_SECONDS": "0.2",
        }  # fmt: skip
        with (
            api_process(env, tmp_path / "a.log", timeout=STARTUP_SECONDS) as a,
            api_process(env, tmp_path / "b.log", timeout=STARTUP_SECONDS) as b,
        ):
            for employees in (everyone, everyone[:9]):  # 40 items in two batches
                created = httpx.post(
                    f"{a.url}/v1/batches", headers=auth(tokens.hr), timeout=10,
                    json={"kind": "checkin_topics", "employee_ids": employees,
                          "date": AS_OF.isoformat()},
                )  # fmt: skip
                assert created.status_code == 202, created.text
            a_owner = f":{a.process.pid}:"

            def a_is_mid_batch() -> bool:
                items = _items(db)
                done = sum(i.status == BatchItemStatus.done for i in items)
                a_holds = any(
                    i.status == BatchItemStatus.running and a_owner in (i.lease_owner or "")
                    for i in items
                )
                return done >= 6 and a_holds

            _until(a_is_mid_batch, "server A holds items mid-batch")
            a.process.kill()  # kill -9: no shutdown, its leases simply stop being renewed
            a.process.wait()
            orphaned = {
                i.id for i in _items(db)
                if i.status == BatchItemStatus.running and a_owner in (i.lease_owner or "")
            }  # fmt: skip
            assert orphaned

            _until(
                lambda: all(i.status == BatchItemStatus.done for i in _items(db)),
                "server B finished every item",
            )
            assert httpx.get(f"{b.url}/healthz", timeout=5).status_code == 200

    items = _items(db)
    with Session(db) as session:
        drafts = session.exec(select(Draft)).all()
        finished = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "batch.finish")
        ).one()
    assert len(items) == len(everyone) + 9 and [i.error for i in items] == [None] * len(items)
    assert len(drafts) == len(items) and {i.draft_id for i in items} == {d.id for d in drafts}
    assert {d.status for d in drafts} == {DraftStatus.pending}
    assert finished == 2  # each batch finished once
    for item in items:
        if item.id in orphaned:  # taken over by B after A's lease expired, same draft filled
            assert item.attempts >= 2 and a_owner not in (item.lease_owner or "")
    assert any(a_owner in (i.lease_owner or "") for i in items)  # A did share the work
    assert any(a_owner not in (i.lease_owner or "") for i in items)  # and so did B
