from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from coach.chains import development, feedback, service
from coach.chains.checkin_topics import KIND as CHECKIN_TOPICS
from coach.drafts.gate import DraftReceipt
from coach.drafts.store import StoredDraft

from ..deps import ChatEngineDep, CurrentUser, EngineDep, KnowledgeDep, SettingsDep
from ..errors import Error, GenerationFailedError, error_responses

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


# Each endpoint records the draft as `generating` before the model is asked and answers 201
# with the pending draft, or only its receipt for a caller who does not decide on it (an
# employee asking for their own development plan). If it cannot be generated even offline,
# the draft is stored as `failed` and the answer is 503 naming it:
# {"detail", "draft_id", "status": "failed"}.
Answer = StoredDraft | DraftReceipt
_ERRORS = error_responses(
    400, 401, 403, 404, 409, 422, 429, 503,
    overrides={
        503: (
            GenerationFailedError | Error,
            "Generation failed (the failed draft is kept and named), or the database is busy.",
        )
    },
)  # fmt: skip


@router.post(
    "/v1/checkins/topics", response_model=Answer, status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)  # fmt: skip
async def checkin_topics(
    body: TopicsRequest,
    user: CurrentUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
) -> Answer:
    """Up to three ranked check-in topics for a person, stored as a pending draft."""
    return await service.generate(
        db, user, kind=CHECKIN_TOPICS, employee_id=body.employee_id, chat=chat, settings=settings,
        as_of=body.date or dt.date.today(), lang=body.lang, request=body.model_dump(mode="json"),
    )  # fmt: skip


@router.post(
    "/v1/feedback/drafts", response_model=Answer, status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)  # fmt: skip
async def feedback_draft(
    body: FeedbackRequest,
    user: CurrentUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
) -> Answer:
    """A feedback draft for a person and cycle, stored as a pending draft."""
    return await service.generate(
        db, user, kind=feedback.KIND, employee_id=body.employee_id, chat=chat, settings=settings,
        as_of=body.date or dt.date.today(), cycle=body.cycle,
        request=body.model_dump(mode="json"),
    )  # fmt: skip


@router.post(
    "/v1/development/suggestions", response_model=Answer,
    status_code=status.HTTP_201_CREATED, responses=_ERRORS,
)  # fmt: skip
async def development_suggestions(
    body: DevelopmentRequest,
    user: CurrentUser,
    db: EngineDep,
    chat: ChatEngineDep,
    settings: SettingsDep,
    kb: KnowledgeDep,
) -> Answer:
    """Two to four development suggestions from the practice library, as a pending draft."""
    return await service.generate(
        db, user, kind=development.KIND, employee_id=body.employee_id, chat=chat,
        settings=settings, knowledge=kb, as_of=body.date or dt.date.today(),
        request=body.model_dump(mode="json"),
    )  # fmt: skip
