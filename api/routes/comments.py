from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import AfterValidator, BaseModel, Field, StrictStr, StringConstraints

from coach.llm import ChatEngine
from coach.quality import CommentCheck, check_comments
from coach.quality.second_opinion import BORDERLINE, MAX_SECOND_OPINIONS, with_second_opinions

from ..deps import ChatEngineDep, CurrentUser
from ..errors import error_responses

router = APIRouter(prefix="/v1/comments", tags=["feedback quality"])

MAX_TEXT = 5000
MAX_BATCH = 1000


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must contain more than white space")
    return text


# Not stripped: finding offsets must point into the text exactly as the caller sent it.
CommentText = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_not_blank)
]


_SECOND_OPINION = (
    "Ask the configured language model to re-judge comments whose score is between"
    f" {BORDERLINE[0]} and {BORDERLINE[1]}; its verdict is then the one returned, with both in"
    f" `second_opinion`. At most {MAX_SECOND_OPINIONS} comments per request are sent. Without a"
    " configured model the offline verdict stands."
)


def _checked(
    texts: list[str], lang: str | None, second_opinion: bool, chat: ChatEngine
) -> list[CommentCheck]:
    checks = check_comments(texts, lang)
    return with_second_opinions(texts, checks, chat) if second_opinion else checks


class CheckRequest(BaseModel):
    text: CommentText = Field(description=f"The comment, 1 to {MAX_TEXT} characters.")
    lang: Literal["zh", "en"] | None = Field(default=None, description="Detected when omitted.")
    second_opinion: bool = Field(default=False, description=_SECOND_OPINION)


class BatchRequest(BaseModel):
    items: list[CommentText] = Field(description=f"Up to {MAX_BATCH} comments.")
    lang: Literal["zh", "en"] | None = None
    second_opinion: bool = Field(default=False, description=_SECOND_OPINION)


class BatchResponse(BaseModel):
    results: list[CommentCheck]


@router.post("/check", response_model=CommentCheck, responses=error_responses(400, 401, 422))
def check_one_comment(body: CheckRequest, _: CurrentUser, chat: ChatEngineDep) -> CommentCheck:
    """Check one comment for vague wording; nothing is stored."""
    return _checked([body.text], body.lang, body.second_opinion, chat)[0]


@router.post(
    "/check-batch", response_model=BatchResponse, responses=error_responses(400, 401, 413, 422)
)
def check_comment_batch(body: BatchRequest, _: CurrentUser, chat: ChatEngineDep) -> BatchResponse:
    """Check many comments in one call, results in the same order; nothing is stored."""
    if len(body.items) > MAX_BATCH:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"items: {len(body.items)} comments exceed the limit of {MAX_BATCH} per batch",
        )
    return BatchResponse(results=_checked(body.items, body.lang, body.second_opinion, chat))
