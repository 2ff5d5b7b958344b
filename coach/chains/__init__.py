"""Coaching chains: check-in topics, feedback drafts and development suggestions.

Each chain renders a prompt from `prompts/coaching/`, asks a chat engine for a structured
answer (the offline composer or an LLM), checks it for grounding and vague wording, and
hands back an output that is stored as a pending draft.
"""

from coach.chains.schemas import CheckinTopics, DevelopmentPlan, FeedbackDraft
from coach.drafts.registry import DraftKind

# Coaching drafts become official only as what the employee is shown: no approval hook.
DRAFT_KINDS = (
    DraftKind("checkin_topics", schema=CheckinTopics, label=("面谈话题", "Check-in topics")),
    DraftKind("feedback", schema=FeedbackDraft, label=("反馈草稿", "Feedback draft")),
    DraftKind("development", schema=DevelopmentPlan, label=("发展建议", "Development suggestions")),
)

__all__ = ["DRAFT_KINDS", "CheckinTopics", "DevelopmentPlan", "FeedbackDraft"]
