from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from coach.core.errors import CoachError
from coach.core.models import DraftStatus
from coach.drafts.gate import DraftReceipt, shown_to
from coach.drafts.store import Provenance
from coach.org.users import Principal
from coach.targets import TargetRequest, TargetSuggestion
from coach.targets.service import (
    DRAFT_KIND,
    TargetDraft,
    suggest_and_draft,
    suggest_batch_and_draft,
)

from ..deps import ChatEngineDep, CurrentUser, EngineDep, SessionDep, SettingsDep
from ..errors import error_responses, status_for

router = APIRouter(prefix="/v1/targets", tags=["targets"])

MAX_BATCH = 5000


class SuggestBody(TargetRequest):
    lang: Literal["zh", "en"] = "zh"


class SuggestionOut(TargetSuggestion):
    draft_id: str
    provenance: Provenance
    rationale_numbers: list[float] = Field(exclude=True)


class TargetItemError(BaseModel):
    status: int
    code: str
    message: str


class ItemError(BaseModel):
    error: TargetItemError

    @classmethod
    def of(cls, exc: CoachError) -> ItemError:
        """One failed item of a batch, with the status the error would have on its own."""
        return cls(error=TargetItemError(status=status_for(exc), code=exc.code, message=str(exc)))


class BatchBody(BaseModel):
    items: list[TargetRequest] = Field(description=f"Up to {MAX_BATCH} requests.")
    lang: Literal["zh", "en"] = "zh"


class BatchOut(BaseModel):
    results: list[SuggestionOut | DraftReceipt | ItemError]


def _out(session: Session, user: Principal, result: TargetDraft) -> SuggestionOut | DraftReceipt:
    """The suggestion for a caller who decides on it (or HR); anyone else gets a receipt."""
    full = SuggestionOut(
        draft_id=result.draft_id, provenance=result.provenance,
        **result.suggestion.model_dump(),
    )  # fmt: skip
    return shown_to(
        session, user, full, draft_id=result.draft_id, kind=DRAFT_KIND,
        status=DraftStatus.pending, employee_id=result.suggestion.employee_id,
    )  # fmt: skip


@router.post(
    "/suggest",
    response_model=SuggestionOut | DraftReceipt,
    responses=error_responses(400, 401, 403, 404, 422, 429, 503),
)
def suggest_target(
    body: SuggestBody,
    db: EngineDep,
    user: CurrentUser,
    engine: ChatEngineDep,
    settings: SettingsDep,
) -> SuggestionOut | DraftReceipt:
    """Suggest a commit / target / stretch range, stored as a draft for the manager to decide."""
    request = TargetRequest.model_validate(body.model_dump(exclude={"lang"}))
    # Stored first (its own transactions), then a short read to decide what the caller sees:
    # no connection or database slot is held while the model is asked.
    drafted = suggest_and_draft(
        db, user, request, engine=engine, open_limit=settings.max_open_requests, lang=body.lang,
        peers=settings.target_peers,
    )  # fmt: skip
    with Session(db) as session:
        return _out(session, user, drafted)


@router.post(
    "/suggest-batch", response_model=BatchOut, responses=error_responses(400, 401, 413, 422, 503)
)
def suggest_target_batch(
    body: BatchBody, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> BatchOut:
    """Suggest many ranges at once (template rationales); errors are reported per item."""
    if len(body.items) > MAX_BATCH:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"items: {len(body.items)} requests exceed the limit of {MAX_BATCH} per batch",
        )
    results = suggest_batch_and_draft(
        session, user, body.items, open_limit=settings.max_open_requests, lang=body.lang,
        peers=settings.target_peers,
    )  # fmt: skip
    return BatchOut(
        results=[
            _out(session, user, r) if isinstance(r, TargetDraft) else ItemError.of(r)
            for r in results
        ]
    )
