"""Comparative and aggregate facts computed from a snapshot, before anything is worded.

A draft may say a dimension is the lowest, an obstacle came up repeatedly, a key result is
behind plan or a value went down only when the fact below says so. The offline composers
word their claims from these facts, and `coach.chains.claims` recomputes them to check
every claim in a final text, the LLM's included.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from coach.chains.records import (
    CheckInRecord,
    KeyResultRecord,
    Lang,
    ProfileRecord,
    ReviewRecord,
    Snapshot,
    fmt_num,
)
from coach.core.models import Direction

# Units whose values are counted, so a value is a whole number ("5家", never "4.87家").
COUNT_UNITS = frozenset(
    {"家", "人", "位", "名", "次", "人次", "台", "件", "单", "笔", "条", "项", "户", "个", "张", "份",
     "篇", "场", "套", "辆"}
)  # fmt: skip
PERCENT_UNITS = frozenset({"%", "％"})
# A person counts as new in the role for this many months after the hire date.
NEW_IN_ROLE_MONTHS = 6
# Fewest mentions each frequency word needs: 多次 two, 反复 three.
SEVERAL, REPEATED = 2, 3

CHECKIN_FIELDS = (
    "obstacles", "support_needed", "next_actions", "progress", "manager_feedback",
    "employee_comment",
)  # fmt: skip

Trend = Literal["up", "down", "flat", "unknown"]

_WHITESPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text without whitespace, lower-cased, for containment tests."""
    return _WHITESPACE.sub("", text).lower()


# --- review dimensions -------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionRanking:
    """The review scores of one cycle, and which dimensions score lowest and highest."""

    cycle: str
    reviews: tuple[ReviewRecord, ...]

    def _at(self, score: float) -> list[ReviewRecord]:
        return [r for r in self.reviews if math.isclose(r.score, score)]

    def lowest(self) -> list[ReviewRecord]:
        """Every dimension at the lowest score (more than one when tied)."""
        return self._at(min(r.score for r in self.reviews)) if len(self.reviews) > 1 else []

    def highest(self) -> list[ReviewRecord]:
        """Every dimension at the highest score (more than one when tied)."""
        return self._at(max(r.score for r in self.reviews)) if len(self.reviews) > 1 else []

    def is_lowest(self, review: ReviewRecord) -> bool:
        """Whether a dimension scores lowest, below at least one other dimension."""
        return review in self.lowest() and review not in self.highest()

    def is_highest(self, review: ReviewRecord) -> bool:
        """Whether a dimension scores highest, above at least one other dimension."""
        return review in self.highest() and review not in self.lowest()

    def tied(self, review: ReviewRecord) -> bool:
        """Whether another dimension of the cycle has the same score."""
        return len(self._at(review.score)) > 1


def rankings(snapshot: Snapshot) -> dict[str, DimensionRanking]:
    """The dimension ranking of each review cycle in the snapshot."""
    cycles: dict[str, list[ReviewRecord]] = {}
    for review in snapshot.reviews:
        cycles.setdefault(review.cycle, []).append(review)
    return {c: DimensionRanking(c, tuple(rs)) for c, rs in cycles.items()}


def extreme_word(ranking: DimensionRanking, review: ReviewRecord) -> str:
    """ "最低" / "最高" / "并列最低" / "并列最高" for a dimension that is one, else ""."""
    if ranking.is_lowest(review):
        return "并列最低" if ranking.tied(review) else "最低"
    if ranking.is_highest(review):
        return "并列最高" if ranking.tied(review) else "最高"
    return ""


# --- check-in mentions -------------------------------------------------------------------


def checkin_text(checkin: CheckInRecord) -> str:
    """All the words of a check-in, squashed."""
    return squash("\n".join(getattr(checkin, f) for f in CHECKIN_FIELDS))


def mentions(snapshot: Snapshot, text: str) -> list[CheckInRecord]:
    """The check-ins (newest first) whose words contain a text."""
    needle = squash(text)
    if not needle:
        return []
    return [c for c in snapshot.checkins if needle in checkin_text(c)]


def new_in_role(profile: ProfileRecord) -> bool:
    """Whether the person joined the role recently enough for settling in to be a topic."""
    return profile.tenure_months < NEW_IN_ROLE_MONTHS


# --- key results -------------------------------------------------------------------------


@dataclass(frozen=True)
class KrPace:
    """Progress share against the share of the goal cycle elapsed, and the latest trend."""

    kr: KeyResultRecord
    trend: Trend

    @property
    def behind_points(self) -> int:
        """Percentage points the progress lags the time elapsed (negative when ahead)."""
        return self.kr.expected_pct - self.kr.progress_pct

    @property
    def improving(self) -> bool:
        """Whether the latest change moved the value toward the target."""
        return self.trend == better_trend(self.kr.direction)

    @property
    def declining(self) -> bool:
        """Whether the latest change moved the value away from the target."""
        return self.trend == worse_trend(self.kr.direction)


def better_trend(direction: Direction) -> Trend:
    """Which way a value moves when it gets better."""
    return "down" if direction == Direction.lower_is_better else "up"


def worse_trend(direction: Direction) -> Trend:
    """Which way a value moves when it gets worse."""
    return "up" if direction == Direction.lower_is_better else "down"


def trend_between(before: float, after: float) -> Trend:
    """Which way a value moved from one measurement to the next."""
    if math.isclose(before, after):
        return "flat"
    return "up" if after > before else "down"


def kr_trend(kr: KeyResultRecord) -> Trend:
    """The direction of the latest change: between the last two updates, else from baseline."""
    values = [u.value for u in kr.updates]
    if len(values) >= 2:
        return trend_between(values[-2], values[-1])
    if values:
        return trend_between(kr.baseline, values[-1])
    return "unknown"


def kr_pace(kr: KeyResultRecord) -> KrPace:
    """The pace fact of one key result."""
    return KrPace(kr, kr_trend(kr))


def is_count(unit: str) -> bool:
    """Whether values in this unit are counted things."""
    return unit.strip() in COUNT_UNITS


def is_percent(unit: str) -> bool:
    """Whether values in this unit are percentages."""
    return unit.strip() in PERCENT_UNITS


def level(value: float, unit: str) -> str:
    """A value as a draft states it: counts as whole numbers, everything else as recorded."""
    if is_count(unit):
        return str(math.floor(value + 0.5))
    return fmt_num(value)


def difference(a: float, b: float, unit: str, lang: Lang = "zh") -> str:
    """The gap between two values with its unit: 个百分点 between two percentages."""
    if is_count(unit):
        return f"{abs(math.floor(a + 0.5) - math.floor(b + 0.5))}{unit}"
    gap = fmt_num(abs(a - b))
    if is_percent(unit):
        return f"{gap}个百分点" if lang == "zh" else f"{gap} percentage points"
    return f"{gap}{unit}"
