"""Result models of the vague-comment check."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

CATEGORIES: tuple[str, ...] = (
    "vague_praise",
    "vague_criticism",
    "personality_label",
    "empty_template",
    "score_without_evidence",
    "absolute_language",
    "possible_bias",
    "pseudo_specific",
    "sarcasm",
    "next_step",
)
"""Every finding category. The first five and pseudo_specific make a comment vague; possible_bias
and sarcasm are warnings, whose comment is vague or specific by what else it identifies;
next_step is a gentle note on a comment that is already specific."""

VAGUE_CATEGORIES: frozenset[str] = frozenset((*CATEGORIES[:5], "pseudo_specific"))
WARNING_CATEGORIES: frozenset[str] = frozenset({"possible_bias", "sarcasm"})
NOTE_CATEGORIES: frozenset[str] = frozenset({"next_step"})

Severity = Literal["problem", "warning", "note"]


class Elements(BaseModel):
    """Which ingredients of specific feedback the comment contains."""

    behavior: bool = Field(description="Names an observable action the person took.")
    situation: bool = Field(description="Says when or where: a date, meeting, customer, project.")
    impact: bool = Field(description="States a checkable result or consequence.")
    suggestion: bool = Field(description="Gives a concrete, actionable next step.")


class Finding(BaseModel):
    """One problematic span of the comment with advice in the comment's language."""

    start: int = Field(description="Start offset (characters) into the original text.")
    end: int = Field(description="End offset (exclusive); text == original[start:end].")
    text: str = Field(description="The flagged span, verbatim.")
    category: str = Field(description="One of CATEGORIES.")
    message: str = Field(description="What is wrong with the span.")
    hint: str = Field(description="What the writer should add or change.")
    severity: Severity = Field(
        default="problem",
        description="problem (makes or marks vagueness), warning (a remark on a protected"
        " attribute, to remove, or sarcasm, to say plainly) or note (a gentle suggestion on a"
        " specific comment).",
    )


class SecondOpinion(BaseModel):
    """A language model's verdict on a borderline comment, beside the offline one."""

    provider: str = Field(description="Who answered: the LLM provider, or offline.")
    model: str
    offline_vague: bool = Field(description="The offline check's verdict.")
    vague: bool | None = Field(default=None, description="The model's verdict, when it answered.")
    used: bool = Field(description="Whether the model's verdict is the one reported.")
    reason: str = Field(description="The model's reason, or why no model verdict is used.")


class CommentCheck(BaseModel):
    """Verdict of the vague-comment check for one comment."""

    vague: bool = Field(description="True when the comment as a whole gives nothing specific.")
    score: float = Field(ge=0.0, le=1.0, description="Specificity probability, 0 (vague) to 1.")
    elements: Elements = Field(description="Specific-feedback ingredients found.")
    findings: list[Finding] = Field(description="Flagged spans, ordered by start offset.")
    lang: Literal["zh", "en"] = Field(description="Language used for messages and hints.")
    second_opinion: SecondOpinion | None = Field(
        default=None,
        description="Present when a second opinion was asked for and the score was borderline.",
    )
