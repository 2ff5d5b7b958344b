"""Output schemas of the coaching chains: what the LLM must return and what a draft holds.

The same models are sent to the LLM as the structured-output schema, produced by the
offline composers, and registered as draft kinds so an edited approval is validated too.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from coach.drafts.content import MANAGER_ONLY

EvidenceIds = list[str]

TopicKind = Literal[
    "off_track_kr",
    "kr_checkpoint",
    "obstacle",
    "support_request",
    "open_action",
    "achievement",
    "development",
    "goal_setting",
]


class QualityFlag(BaseModel):
    """A problem a person must look at before approving: a vague or unsupported item."""

    path: str = Field(description="Where the item is, e.g. `improvements.0`.")
    kind: Literal["vague", "ungrounded"] = Field(description="What is wrong with it.")
    message: str = Field(description="What to add or check.")


def _prep_field(what: str) -> str:
    return Field(
        default="",
        description=f"Manager-only preparation, never shown to the employee: {what}",
        json_schema_extra=MANAGER_ONLY,
    )


SufficiencyLevel = Literal["enough", "thin", "not_enough"]


class DataSufficiency(BaseModel):
    """How much the records support a draft, computed from them (not written by the model)."""

    level: SufficiencyLevel = Field(description="enough, thin or not_enough.")
    reason: str = Field(min_length=2, description="Why, in Chinese: which records there are.")


def _sufficiency_field() -> DataSufficiency | None:
    return Field(
        default=None,
        description="Filled by the service from the records; leave it out of the answer.",
        json_schema_extra=MANAGER_ONLY,
    )


def _evidence_field() -> EvidenceIds:
    return Field(
        min_length=1,
        description="Ids of the input records this item rests on, exactly as given in the data.",
    )


# --- check-in topics ---------------------------------------------------------------------


class Topic(BaseModel):
    """One discussion topic for a 1:1 check-in."""

    rank: int = Field(ge=1, le=3, description="1 is the most important topic.")
    kind: TopicKind = Field(description="Which kind of evidence makes this topic timely.")
    title: str = Field(min_length=2, max_length=80, description="Short title of the topic.")
    why_now: str = Field(
        min_length=10, description="The evidence that makes this topic timely, with its facts."
    )
    questions: list[str] = Field(
        min_length=2, max_length=2, description="Two open coaching questions (not yes/no)."
    )
    evidence_ids: EvidenceIds = _evidence_field()
    manager_prep: str = _prep_field("how to open the topic, what to check beforehand.")


class CheckinTopics(BaseModel):
    """Up to three ranked topics for the next check-in: fewer when the records hold fewer."""

    topics: list[Topic] = Field(min_length=1, max_length=3)
    manager_prep: str = _prep_field("how to prepare the check-in as a whole.")
    quality_flags: list[QualityFlag] = Field(default_factory=list)
    data_sufficiency: DataSufficiency | None = _sufficiency_field()

    @model_validator(mode="after")
    def _ranked(self) -> CheckinTopics:
        if [t.rank for t in self.topics] != list(range(1, len(self.topics) + 1)):
            raise ValueError("topics must be ranked 1, 2, 3 in order")
        return self


# --- feedback draft ----------------------------------------------------------------------


class Strength(BaseModel):
    """Something the person did well, with the records that show it."""

    text: str = Field(min_length=10, description="The behaviour, when it happened, its effect.")
    evidence_ids: EvidenceIds = _evidence_field()
    manager_prep: str = _prep_field("how to recognise it in the conversation.")


class Improvement(BaseModel):
    """One improvement: an observed behaviour, its impact and a concrete suggestion."""

    behavior: str = Field(min_length=4, description="What the person did or did not do.")
    impact: str = Field(min_length=4, description="What that led to.")
    suggestion: str = Field(min_length=4, description="A concrete next step.")
    evidence_ids: EvidenceIds = _evidence_field()
    manager_prep: str = _prep_field("how to raise it, what to verify before the talk.")


class NextAction(BaseModel):
    """An agreed action with an owner and a due date."""

    action: str = Field(min_length=4)
    owner: Literal["employee", "manager"] = Field(description="Who does it.")
    due_date: date = Field(description="One of the calendar dates given in the data.")
    evidence_ids: EvidenceIds = _evidence_field()


class ResourceNeed(BaseModel):
    """Support the person needs: training, time, access, a contact."""

    need: str = Field(min_length=4)
    evidence_ids: EvidenceIds = _evidence_field()
    manager_prep: str = _prep_field("what the manager should arrange or confirm, by when.")


class FeedbackDraft(BaseModel):
    """A review feedback draft for the manager to edit."""

    summary: str = Field(min_length=10, description="Two or three sentences on the cycle.")
    summary_evidence_ids: EvidenceIds = _evidence_field()
    strengths: list[Strength] = Field(min_length=1, max_length=4)
    improvements: list[Improvement] = Field(min_length=1, max_length=4)
    next_actions: list[NextAction] = Field(min_length=1, max_length=5)
    resource_needs: list[ResourceNeed] = Field(min_length=1, max_length=3)
    manager_prep: str = _prep_field("how to prepare the whole conversation, what to verify.")
    quality_flags: list[QualityFlag] = Field(default_factory=list)
    data_sufficiency: DataSufficiency | None = _sufficiency_field()


# --- development suggestions -------------------------------------------------------------


class Milestones(BaseModel):
    """What progress looks like after 30, 60 and 90 days."""

    day_30: str = Field(min_length=4)
    day_60: str = Field(min_length=4)
    day_90: str = Field(min_length=4)


class DevelopmentSuggestion(BaseModel):
    """One practice from the library, fitted to one of the person's gaps."""

    practice_id: str = Field(description="Id of a retrieved practice, exactly as given.")
    practice_title: str
    gap: str = Field(min_length=2, description="The gap this addresses, in a few words.")
    why: str = Field(min_length=10, description="Why it fits this person: the evidence.")
    first_step: str = Field(min_length=6)
    milestones: Milestones
    evidence_ids: EvidenceIds = _evidence_field()
    manager_prep: str = _prep_field("how to introduce it, how the manager supports it.")


class DevelopmentPlan(BaseModel):
    """Two to four development suggestions."""

    suggestions: list[DevelopmentSuggestion] = Field(min_length=2, max_length=4)
    manager_prep: str = _prep_field("how to prepare the development talk as a whole.")
    quality_flags: list[QualityFlag] = Field(default_factory=list)
    data_sufficiency: DataSufficiency | None = _sufficiency_field()

    @model_validator(mode="after")
    def _distinct(self) -> DevelopmentPlan:
        ids = [s.practice_id for s in self.suggestions]
        if len(set(ids)) != len(ids):
            raise ValueError("each suggestion must use a different practice")
        return self
