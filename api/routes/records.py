"""Check-ins, metrics, goals with key results and progress, review scores and key events.

Writes: a check-in by a manager above the person; a goal or a progress reading by admin, HR,
a manager above the person or the person themselves; a review score or key event by admin,
HR or a manager above the person, never about oneself. Reads follow the caller's scope.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel

from coach import checkins, records
from coach.core.models import (
    CheckInPublic,
    KeyEventPublic,
    Metric,
    ProgressUpdatePublic,
    ReviewScorePublic,
)
from coach.records import GoalWithResults

from ..deps import CurrentUser, PageDep, SessionDep, SettingsDep
from ..errors import error_responses

router = APIRouter(tags=["records"])

_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 503)
_READ_ERRORS = error_responses(401, 403, 404, 422)


class CheckInsPublic(BaseModel):
    data: list[CheckInPublic]
    count: int


class MetricsPublic(BaseModel):
    data: list[Metric]
    count: int


class GoalsPublic(BaseModel):
    data: list[GoalWithResults]
    count: int


class ReviewScoresPublic(BaseModel):
    data: list[ReviewScorePublic]
    count: int


class KeyEventsPublic(BaseModel):
    data: list[KeyEventPublic]
    count: int


@router.post(
    "/v1/checkins", response_model=CheckInPublic, status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)  # fmt: skip
def post_checkin(
    body: checkins.CheckInCreate, session: SessionDep, user: CurrentUser
) -> CheckInPublic:
    """Record a check-in with a report (a manager above them)."""
    return CheckInPublic.model_validate(checkins.create_checkin(session, user, body))


@router.get("/v1/checkins", response_model=CheckInsPublic, responses=_READ_ERRORS)
def list_checkins(
    session: SessionDep, user: CurrentUser, page: PageDep, employee_id: str | None = None
) -> CheckInsPublic:
    """Check-ins within scope (one person's if named), newest first."""
    rows, count = records.list_checkins(
        session, user, employee_id=employee_id, offset=page.offset, limit=page.limit
    )
    return CheckInsPublic(data=[CheckInPublic.model_validate(r) for r in rows], count=count)


@router.get("/v1/metrics", response_model=MetricsPublic, responses=error_responses(401, 422))
def list_metrics(session: SessionDep, _: CurrentUser, page: PageDep) -> MetricsPublic:
    """The metrics that history, targets and key results refer to."""
    rows, count = records.list_metrics(session, offset=page.offset, limit=page.limit)
    return MetricsPublic(data=rows, count=count)


@router.post(
    "/v1/goals", response_model=GoalWithResults, status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)  # fmt: skip
def post_goal(body: records.GoalPost, session: SessionDep, user: CurrentUser) -> GoalWithResults:
    """Record a goal with its key results."""
    return records.create_goal(session, user, body)


@router.get("/v1/goals", response_model=GoalsPublic, responses=_READ_ERRORS)
def list_goals(
    session: SessionDep, user: CurrentUser, page: PageDep, employee_id: str | None = None,
    cycle: str | None = None,
) -> GoalsPublic:  # fmt: skip
    """Goals within scope with their key results and progress."""
    rows, count = records.list_goals(
        session, user, employee_id=employee_id, cycle=cycle, offset=page.offset, limit=page.limit
    )
    return GoalsPublic(data=rows, count=count)


@router.post(
    "/v1/key-results/{kr_id}/progress", response_model=ProgressUpdatePublic,
    status_code=status.HTTP_201_CREATED, responses=_WRITE_ERRORS,
)  # fmt: skip
def post_progress(
    kr_id: str, body: records.ProgressEntry, session: SessionDep, user: CurrentUser
) -> ProgressUpdatePublic:
    """Record a key result's reading for a day (replacing that day's earlier one)."""
    return ProgressUpdatePublic.model_validate(records.add_progress(session, user, kr_id, body))


@router.post(
    "/v1/reviews", response_model=ReviewScorePublic, status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)  # fmt: skip
def post_review(
    body: records.ReviewCreate, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> ReviewScorePublic:
    """Record a reviewer's score (replacing that reviewer's earlier score of the same thing)."""
    score = records.save_review(session, user, body, scale=settings.review_scale)
    return ReviewScorePublic.model_validate(score)


@router.get("/v1/reviews", response_model=ReviewScoresPublic, responses=_READ_ERRORS)
def list_reviews(
    session: SessionDep, user: CurrentUser, page: PageDep, employee_id: str | None = None,
    cycle: str | None = None,
) -> ReviewScoresPublic:  # fmt: skip
    """Review scores within scope."""
    rows, count = records.list_reviews(
        session, user, employee_id=employee_id, cycle=cycle, offset=page.offset, limit=page.limit
    )
    return ReviewScoresPublic(data=[ReviewScorePublic.model_validate(r) for r in rows], count=count)


@router.post(
    "/v1/key-events", response_model=KeyEventPublic, status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)  # fmt: skip
def post_key_event(
    body: records.KeyEventCreate, session: SessionDep, user: CurrentUser
) -> KeyEventPublic:
    """Record a key event about someone."""
    return KeyEventPublic.model_validate(records.create_key_event(session, user, body))


@router.get("/v1/key-events", response_model=KeyEventsPublic, responses=_READ_ERRORS)
def list_key_events(
    session: SessionDep, user: CurrentUser, page: PageDep, employee_id: str | None = None
) -> KeyEventsPublic:
    """Key events within scope, newest first."""
    rows, count = records.list_key_events(
        session, user, employee_id=employee_id, offset=page.offset, limit=page.limit
    )
    return KeyEventsPublic(data=[KeyEventPublic.model_validate(r) for r in rows], count=count)
