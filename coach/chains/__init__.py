"""Coaching chains: check-in topics, feedback drafts and development suggestions.

Each chain renders a prompt from `prompts/coaching/`, asks a chat engine for a structured
answer (the offline composer or an LLM), checks it for grounding and vague wording, and
hands back an output that is stored as a pending draft.
"""

from coach.chains.schemas import CheckinTopics, DevelopmentPlan, FeedbackDraft
from coach.drafts import register_kind

register_kind("checkin_topics", schema=CheckinTopics)
register_kind("feedback", schema=FeedbackDraft)
register_kind("development", schema=DevelopmentPlan)

__all__ = ["CheckinTopics", "DevelopmentPlan", "FeedbackDraft"]
