"""Review-cycle batches: start one, watch its progress; the work runs in the background."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, FastAPI, Request, status
from starlette.concurrency import run_in_threadpool

from coach import batches
from coach.batches import BatchCreate, BatchPublic

from ..deps import CurrentUser, EngineDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/batches", tags=["batches"])
logger = logging.getLogger("coach.batches")


def start_batch(app: FastAPI, job_id: str) -> asyncio.Task[None]:
    """Run a batch as a task of this process; its state is in the database, not the task."""
    state = app.state
    if not hasattr(state, "batch_tasks"):  # an app whose lifespan did not run (some tests)
        state.batch_tasks, state.llm_slots = (
            set(),
            asyncio.Semaphore(state.settings.llm_concurrency),
        )
    task = asyncio.create_task(
        batches.run_batch(
            state.engine, job_id, chat=state.chat_engine, settings=state.settings,
            knowledge=state.knowledge, slots=state.llm_slots,
        ),
        name=f"batch-{job_id}",
    )  # fmt: skip
    state.batch_tasks.add(task)
    task.add_done_callback(_finished)
    task.add_done_callback(state.batch_tasks.discard)
    return task


def _finished(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        # The unfinished items stay in the database: the next start-up resumes them.
        logger.error("%s stopped: %s", task.get_name(), exc, exc_info=exc)


@router.post(
    "", response_model=BatchPublic, status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)  # fmt: skip
async def create_batch(
    body: BatchCreate, user: CurrentUser, db: EngineDep, request: Request
) -> BatchPublic:
    """Queue drafts for many employees (HR: anyone; managers: their reports)."""
    public = await run_in_threadpool(batches.submit, db, user, body)
    start_batch(request.app, public.id)
    return public


@router.get("/{job_id}", response_model=BatchPublic, responses=error_responses(401, 403, 404, 422))
def read_batch(job_id: str, session: SessionDep, user: CurrentUser) -> BatchPublic:
    """A batch's progress and its items."""
    return batches.to_public(session, batches.get_batch(session, user, job_id))
