"""A language model's second opinion on comments the offline check finds borderline.

The offline verdict is the default and stays what a plain check returns. Asked for a second
opinion, a comment whose specificity score sits in the borderline band is sent to the configured
model with the definition of a specific comment; its verdict replaces the offline one, and both
are reported. Each call goes through the chat engine, so it is logged like every other call. With
the offline engine, or when the call fails, the offline verdict stands and the reason is given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import BaseModel, Field

from coach.core.prompts import render
from coach.llm import ChatEngine, LLMError, StructuredCall
from coach.quality.models import CommentCheck, SecondOpinion

logger = logging.getLogger(__name__)

TEMPLATE = "quality/second_opinion.j2"
PURPOSE = "quality.second_opinion"
BORDERLINE = (0.3, 0.7)
"""Scores strictly inside this band get a second opinion; the rules' own verdicts sit on its edges."""
MAX_SECOND_OPINIONS = 20
"""Model calls one request may make; the borderline comments after that keep the offline verdict."""


class Verdict(BaseModel):
    """What the model answers."""

    vague: bool = Field(description="True when the comment identifies nothing concrete.")
    reason: str = Field(description="One sentence: what the comment identifies, or lacks.")


def is_borderline(check: CommentCheck) -> bool:
    """Whether the offline score leaves the verdict open."""
    low, high = BORDERLINE
    return low < check.score < high


def _offline_stands(engine: ChatEngine, check: CommentCheck, reason: str) -> SecondOpinion:
    """No model verdict is used for this comment, and why."""
    return SecondOpinion(provider=engine.provider, model=engine.model, offline_vague=check.vague,
                         used=False, reason=reason)  # fmt: skip


def _ask(engine: ChatEngine, text: str, check: CommentCheck) -> SecondOpinion:
    # The offline verdict is left out of the prompt so that the model judges on its own.
    prompt = render(TEMPLATE, text=text, lang=check.lang)
    call = StructuredCall(
        purpose=PURPOSE, prompt=prompt, schema=Verdict,
        offline=lambda: Verdict(vague=check.vague, reason="offline verdict"),
    )  # fmt: skip
    try:
        answer = engine.generate(call).output
    except LLMError as exc:
        logger.warning("second opinion failed, offline verdict kept: %s", exc)
        return _offline_stands(engine, check, f"{engine.provider} call failed: {exc}")
    return SecondOpinion(provider=engine.provider, model=engine.model, offline_vague=check.vague,
                         vague=answer.vague, used=True, reason=answer.reason.strip())  # fmt: skip


def with_second_opinions(
    texts: Sequence[str], checks: Sequence[CommentCheck], engine: ChatEngine
) -> list[CommentCheck]:
    """The checks, each borderline one re-judged by the engine's model (same order)."""
    results: list[CommentCheck] = []
    asked = 0
    for text, check in zip(texts, checks, strict=True):
        if not is_borderline(check):
            results.append(check)
            continue
        if engine.provider == "offline":
            opinion = _offline_stands(engine, check, "no language model is configured")
        elif asked >= MAX_SECOND_OPINIONS:
            opinion = _offline_stands(engine, check, f"more than {MAX_SECOND_OPINIONS} borderline"
                                      " comments in one request; the offline verdict stands")  # fmt: skip
        else:
            asked += 1
            opinion = _ask(engine, text, check)
        vague = opinion.vague if opinion.used and opinion.vague is not None else check.vague
        results.append(check.model_copy(update={"vague": vague, "second_opinion": opinion}))
    return results
