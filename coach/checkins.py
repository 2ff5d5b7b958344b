"""Check-in records: the stored vague-comment check on the manager's feedback."""

from __future__ import annotations

from coach.models import CheckIn
from coach.quality import check_comment


def annotate_feedback(checkin: CheckIn) -> None:
    """Run the vague-comment check on a check-in's manager feedback and keep the result on it."""
    text = checkin.manager_feedback.strip()
    checkin.feedback_check = check_comment(text).model_dump(mode="json") if text else None
