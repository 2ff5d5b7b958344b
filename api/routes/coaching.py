from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ChatEngineDep, CurrentUser, EngineDep, KnowledgeDep, SettingsDep
from coach.chains import development, feedback, service, topics
from coach.chains.service import StoredDraft

router = APIRouter(tags=["coaching"])


class TopicsRequest(BaseModel):
    employee_id: str = Field(min_length=1, max_length=64)
    date: dt.date | None = Field(
        default=None, description="The day of the check-in; today if omitted."
    )
    lang: Literal["zh", "en"] = "zh"


class FeedbackRequest(BaseModel):
    employee_id: str = Field(min_length=1, max_length=64)
    cycle: str = Field(
        default="latest", max_length=10, description="2026H1, 2026Q4, 2026 or latest."
    )
    date: dt.date | None = Field(default=None, description="Records after this day are ignored.")


class DevelopmentRequest(BaseModel):
    employee_id: str = Field(min_length=1, max_length=64)
    date: dt.date | None = None


@router.post("/v1/checkins/topics", response_model=StoredDraft, status_code=status.HTTP_201_CREATED)
async def checkin_topics(
    body: TopicsRequest,
    user: CurrentUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
) -> StoredDraft:
    """Three ranked check-in topics for a person, stored as a pending draft."""
    snapshot, directory = await run_in_threadpool(
        service.prepare, db, user, employee_id=body.employee_id, purpose=topics.KIND,
        as_of=body.date or dt.date.today(), lang=body.lang,
    )  # fmt: skip
    engine, reason = service.engine_for(topics.KIND, chat, settings)
    result = await topics.suggest_topics(snapshot, directory, engine=engine, policy_reason=reason)
    return await run_in_threadpool(
        service.store, db, user, kind=topics.KIND, snapshot=snapshot, result=result,
        request=body.model_dump(mode="json"),
    )  # fmt: skip


@router.post("/v1/feedback/drafts", response_model=StoredDraft, status_code=status.HTTP_201_CREATED)
async def feedback_draft(
    body: FeedbackRequest,
    user: CurrentUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
) -> StoredDraft:
    """A feedback draft for a person and cycle, stored as a pending draft."""
    snapshot, directory = await run_in_threadpool(
        service.prepare, db, user, employee_id=body.employee_id, purpose=feedback.KIND,
        as_of=body.date or dt.date.today(), cycle=body.cycle,
    )  # fmt: skip
    engine, reason = service.engine_for(feedback.KIND, chat, settings)
    result = await feedback.draft_feedback(snapshot, directory, engine=engine, policy_reason=reason)
    return await run_in_threadpool(
        service.store, db, user, kind=feedback.KIND, snapshot=snapshot, result=result,
        request=body.model_dump(mode="json"),
    )  # fmt: skip


@router.post(
    "/v1/development/suggestions", response_model=StoredDraft, status_code=status.HTTP_201_CREATED
)
async def development_suggestions(
    body: DevelopmentRequest,
    user: CurrentUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
    kb: KnowledgeDep,
) -> StoredDraft:
    """Two to four development suggestions from the practice library, as a pending draft."""
    snapshot, directory = await run_in_threadpool(
        service.prepare, db, user, employee_id=body.employee_id, purpose=development.KIND,
        as_of=body.date or dt.date.today(),
    )  # fmt: skip
    matches = await run_in_threadpool(development.retrieve, kb, development.find_gaps(snapshot))
    snapshot = development.with_practices(snapshot, matches)
    engine, reason = service.engine_for(development.KIND, chat, settings)
    result = await development.suggest_development(
        snapshot, directory, matches, engine=engine, policy_reason=reason
    )
    return await run_in_threadpool(
        service.store, db, user, kind=development.KIND, snapshot=snapshot,
        result=result, request=body.model_dump(mode="json"),
    )  # fmt: skip
