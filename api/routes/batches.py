"""Review-cycle batches: start one, watch its progress; the work runs in the background."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, status
from starlette.concurrency import run_in_threadpool

from coach import batches
from coach.batches import BatchCreate, BatchPublic

from ..deps import CurrentUser, EngineDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/batches", tags=["batches"])


def wake_worker(app: FastAPI) -> None:
    """Have this process's batch worker claim a new batch's items now, not at its next poll."""
    # Without a running lifespan (some tests) there is no worker: any other process's takes it.
    worker = getattr(app.state, "batch_worker", None)
    if worker is not None:
        worker.wake()


@router.post(
    "", response_model=BatchPublic, status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)  # fmt: skip
async def create_batch(
    body: BatchCreate, user: CurrentUser, db: EngineDep, request: Request
) -> BatchPublic:
    """Queue drafts for many employees (HR: anyone; managers: their reports)."""
    public = await run_in_threadpool(batches.submit, db, user, body)
    wake_worker(request.app)
    return public


@router.get("/{job_id}", response_model=BatchPublic, responses=error_responses(401, 403, 404, 422))
def read_batch(job_id: str, session: SessionDep, user: CurrentUser) -> BatchPublic:
    """A batch's progress and its items."""
    return batches.to_public(session, batches.get_batch(session, user, job_id))
