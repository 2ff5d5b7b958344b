"""Offline vague-comment check for performance feedback, in Chinese and English."""

from coach.quality.check import check_comment, check_comments
from coach.quality.models import CATEGORIES, CommentCheck, Elements, Finding

__all__ = ["CATEGORIES", "CommentCheck", "Elements", "Finding", "check_comment", "check_comments"]
