"""The FastAPI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from coach import __version__
from coach.batches import BatchWorker
from coach.core.audit import seal_chain
from coach.core.db import engine_for, require_current_schema, session_scope
from coach.core.errors import CoachError
from coach.core.settings import Settings, get_settings
from coach.kinds import register_all
from coach.knowledge import KnowledgeBase, open_knowledge_base
from coach.llm import ChatEngine, DatabaseCallLog, build_engine
from coach.org.users import session_signing_key
from coach.reminders import missed_today, next_run, reminder_day, scheduled_round
from coach.reminders.channels import senders

from .deps import DatabaseSlots
from .docs import install_docs
from .errors import install_error_handlers
from .json_body import reject_unrepresentable_json
from .limits import BodySizeLimit
from .routes import (
    audit,
    batches,
    coaching,
    comments,
    drafts,
    employees,
    health,
    imports,
    insights,
    me,
    practices,
    records,
    targets,
    users,
)
from .security import SecurityHeaders
from .web import install_web

API_TITLE = "Coach API"
DOCS_TITLE = "Coach 绩效教练"  # the HTML docs keep the product's own name
logger = logging.getLogger("coach.audit")


def create_app(
    settings: Settings | None = None,
    *,
    chat_engine: ChatEngine | None = None,
    knowledge: KnowledgeBase | None = None,
) -> FastAPI:
    """Build the app for these settings, on a database already at the newest schema.

    Workers never migrate: `coach db upgrade` (which `coach serve` runs once before starting
    them) does, so that many workers starting together do not race to change the schema.
    `chat_engine` and `knowledge` replace the ones the settings describe (tests, embedding).
    """
    settings = settings or get_settings()
    engine = engine_for(settings)
    require_current_schema(engine)
    with session_scope(engine) as session:
        secret_key = session_signing_key(session, settings)
    register_all()
    app = FastAPI(
        title=DOCS_TITLE,
        version=__version__,
        description="Coach (绩效教练): AI drafts for continuous performance management; people decide.",
        lifespan=_lifespan,
        dependencies=[Depends(reject_unrepresentable_json)],
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.openapi = _ascii_titled(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.engine = engine
    app.state.db_slots = DatabaseSlots.for_settings(settings)
    app.state.chat_engine = chat_engine or build_engine(settings, DatabaseCallLog(engine))
    app.state.knowledge = _knowledge_provider(settings, knowledge)
    install_error_handlers(app)
    install_docs(app)
    for module in (
        health, employees, imports, records, drafts, comments, practices, targets, me, audit,
        coaching, batches, users, insights,
    ):  # fmt: skip
        app.include_router(module.router)
    install_web(app, secret_key=secret_key)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    logging.getLogger("coach").setLevel(logging.INFO)
    return app


def _operation_id(route: APIRoute) -> str:
    # The function name: short, and unique across the API (tests/test_openapi_contract.py).
    return route.name


def _ascii_titled(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The schema under an ASCII title, which generated clients name their package after."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            info = generate()["info"]
            info["title"], info["x-title-zh"] = API_TITLE, "绩效教练"
        return app.openapi_schema  # type: ignore[return-value]

    return openapi


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run this process's batch worker, audit sealer and (if scheduled) reminders; on
    shutdown, stop them.

    The worker's items go to other workers (or the next start); the chains stay as sealed.
    """
    state = app.state
    state.batch_worker = BatchWorker(
        state.engine, chat=state.chat_engine, settings=state.settings, knowledge=state.knowledge
    )
    tasks = [asyncio.create_task(state.batch_worker.serve(), name="batch-worker")]
    tasks[0].add_done_callback(_log_if_stopped)
    if interval := state.settings.audit_seal_interval:
        tasks.append(asyncio.create_task(_seal_every(state.engine, interval), name="audit-sealer"))
    if state.settings.remind_at:
        tasks.append(
            asyncio.create_task(_remind_on_schedule(state.engine, state.settings), name="reminders")
        )
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _log_if_stopped(worker: asyncio.Task[None]) -> None:
    if not worker.cancelled() and (exc := worker.exception()) is not None:
        # The items stay in the database: other processes' workers, or a restart, take them.
        logging.getLogger("coach.batches").error("the batch worker stopped: %s", exc, exc_info=exc)


async def _seal_every(engine: Engine, seconds: float) -> None:
    """Anchor the audit chains' tips every `seconds`; each worker tries, one seals at a time."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(seal_chain, engine)
        except (CoachError, SQLAlchemyError) as exc:  # the next round tries again
            logger.warning("audit seal skipped: %s", exc)


async def _remind_on_schedule(engine: Engine, settings: Settings) -> None:
    """Send the digests at each COACH_REMIND_AT (today's at once if started after it); every
    worker wakes, and each delivery goes out once."""
    channels = senders(settings)
    at = missed_today(datetime.now(UTC), settings) or next_run(datetime.now(UTC), settings)
    while at is not None:
        await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
        try:
            await asyncio.to_thread(
                scheduled_round, engine, settings, channels, day=reminder_day(at, settings)
            )
        except (CoachError, SQLAlchemyError) as exc:  # the failed rows stay for the next round
            logger.error("scheduled reminders stopped: %s", exc)
        at = next_run(datetime.now(UTC), settings)


def _knowledge_provider(
    settings: Settings, knowledge: KnowledgeBase | None
) -> Callable[[], KnowledgeBase]:
    # Opening Chroma and loading the embedding model is deferred to the first request needing it.
    if knowledge is not None:
        return lambda: knowledge

    @cache
    def open_once() -> KnowledgeBase:
        return open_knowledge_base(
            chroma_path=settings.chroma_path,
            chroma_url=settings.chroma_url,
            vocabulary_file=settings.knowledge_vocabulary,
        )

    return open_once
