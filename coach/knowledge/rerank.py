"""An optional language-model rerank of the top practices the offline search found.

The offline ranking is the default and what a plain search returns. Asked for a rerank, the
first `RERANK_TOP` hits go to the configured model with the query; the order it answers
replaces theirs and the hits below stay where they were. The call goes through the chat
engine, so it is logged like every other call, with the candidates as its retrieved ids.
With the offline engine, when the call fails, or when the answer names a practice that was
not offered, the offline order stands and the reason is given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import BaseModel, Field

from coach.core.prompts import render
from coach.knowledge.search import SearchHit
from coach.llm import ChatEngine, LLMError, StructuredCall

logger = logging.getLogger(__name__)

TEMPLATE = "knowledge/rerank.j2"
PURPOSE = "knowledge.rerank"
RERANK_TOP = 8
"""Hits sent to the model; the offline ranking rarely has the answer lower than this."""


class Ranking(BaseModel):
    """What the model answers."""

    ranking: list[str] = Field(description="Every candidate id, the best fitting practice first.")


class Rerank(BaseModel):
    """Whether the model's order was used, beside the offline one."""

    provider: str = Field(description="Who answered: the LLM provider, or offline.")
    model: str
    offline_ids: list[str] = Field(description="The candidates in the offline order.")
    used: bool = Field(description="Whether the model's order is the one returned.")
    reason: str = Field(description="Why the model's order was not used; empty when it was.")


def _offline_stands(engine: ChatEngine, candidates: Sequence[str], reason: str) -> Rerank:
    return Rerank(provider=engine.provider, model=engine.model, offline_ids=list(candidates),
                  used=False, reason=reason)  # fmt: skip


def merged_order(offline: Sequence[str], answered: Sequence[str]) -> list[str] | None:
    """The model's order, candidates it left out after it in offline order; None if it strays.

    An id that was not offered means the model answered about something else, so none of its
    order can be trusted.
    """
    if any(doc_id not in offline for doc_id in answered):
        return None
    named = list(dict.fromkeys(answered))
    return named + [doc_id for doc_id in offline if doc_id not in named]


def rerank_hits(
    query: str, hits: Sequence[SearchHit], engine: ChatEngine, *, top: int = RERANK_TOP
) -> tuple[list[SearchHit], Rerank]:
    """`hits` with the first `top` reordered by the engine's model, and what happened."""
    head, tail = list(hits[:top]), list(hits[top:])
    offline = [hit.id for hit in head]
    if engine.provider == "offline":
        return list(hits), _offline_stands(engine, offline, "no language model is configured")
    if len(head) < 2:
        return list(hits), _offline_stands(engine, offline, "fewer than two candidates")
    prompt = render(TEMPLATE, query=query, candidates=head)
    call = StructuredCall(
        purpose=PURPOSE, prompt=prompt, schema=Ranking,
        offline=lambda: Ranking(ranking=offline), retrieved_ids=offline,
    )  # fmt: skip
    try:
        answer = engine.generate(call).output
    except LLMError as exc:
        logger.warning("practice rerank failed, offline order kept: %s", exc)
        return list(hits), _offline_stands(engine, offline, f"{engine.provider} call failed: {exc}")
    order = merged_order(offline, [doc_id.strip() for doc_id in answer.ranking])
    if order is None:
        logger.warning("practice rerank named a practice it was not offered; offline order kept")
        return list(hits), _offline_stands(
            engine, offline, "the model named a practice that was not among the candidates"
        )
    by_id = {hit.id: hit for hit in head}
    reranked = [by_id[doc_id] for doc_id in order] + tail
    return reranked, Rerank(provider=engine.provider, model=engine.model, offline_ids=offline,
                            used=True, reason="")  # fmt: skip
