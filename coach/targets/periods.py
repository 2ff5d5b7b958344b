"""Reporting periods of a metric: years `2025`, quarters `2025Q3` and months `2025-07`.

Internally a period is an integer ordinal (year, year*4 + quarter-1, or year*12 + month-1)
so that "next", "k steps ahead" and gaps are plain arithmetic.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from coach.targets.errors import InvalidPeriod

PeriodType = Literal["annual", "quarter", "month"]

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DAYS_PER_MONTH = 365.25 / 12
_PATTERNS = {"annual": _YEAR, "quarter": _QUARTER, "month": _MONTH}
_PER_YEAR = {"annual": 1, "quarter": 4, "month": 12}


def season_length(period_type: PeriodType) -> int:
    """Periods per year: 1 for years, 4 for quarters, 12 for months."""
    return _PER_YEAR[period_type]


def parse_period(text: str, period_type: PeriodType) -> tuple[int, int]:
    """(year, 1 for a year, quarter 1-4 or month 1-12) of a period; `InvalidPeriod` if malformed."""
    pattern = _PATTERNS.get(period_type)
    match = pattern.match(text.strip()) if pattern and isinstance(text, str) else None
    if match is None:
        raise InvalidPeriod(str(text), period_type)
    return int(match.group(1)), int(match.group(2)) if match.lastindex == 2 else 1


def format_period(year: int, sub: int, period_type: PeriodType) -> str:
    """The canonical string of (year, quarter or month)."""
    if period_type == "annual":
        return f"{year}"
    return f"{year}Q{sub}" if period_type == "quarter" else f"{year}-{sub:02d}"


def to_ordinal(text: str, period_type: PeriodType) -> int:
    """Integer position of a period; consecutive periods differ by one."""
    year, sub = parse_period(text, period_type)
    return year * season_length(period_type) + sub - 1


def from_ordinal(ordinal: int, period_type: PeriodType) -> str:
    """Inverse of `to_ordinal`."""
    year, rest = divmod(int(ordinal), season_length(period_type))
    return format_period(year, rest + 1, period_type)


def next_period(text: str, period_type: PeriodType) -> str:
    """The period right after `text`."""
    return offset_period(text, 1, period_type)


def offset_period(text: str, k: int, period_type: PeriodType) -> str:
    """The period `k` steps after `text` (negative `k` goes back)."""
    return from_ordinal(to_ordinal(text, period_type) + k, period_type)


def compare_periods(a: str, b: str, period_type: PeriodType) -> int:
    """-1, 0 or 1 as `a` is before, equal to or after `b`."""
    oa, ob = to_ordinal(a, period_type), to_ordinal(b, period_type)
    return (oa > ob) - (oa < ob)


def season_index(text: str, period_type: PeriodType) -> int:
    """0-based position within the year: quarter-1 or month-1."""
    return parse_period(text, period_type)[1] - 1


def ordinal_season(ordinal: int, period_type: PeriodType) -> int:
    """0-based position within the year of an ordinal."""
    return int(ordinal) % season_length(period_type)


def period_start(text: str, period_type: PeriodType) -> date:
    """First day of the period."""
    year, sub = parse_period(text, period_type)
    month = (12 // season_length(period_type)) * (sub - 1) + 1
    return date(year, month, 1)


def ordinal_midpoint_months(ordinal: int, period_type: PeriodType) -> float:
    """Middle of the period as months since year 0 (for tenure arithmetic on ordinals)."""
    months_per_period = 12 // season_length(period_type)
    return ordinal * months_per_period + months_per_period / 2


def date_months(day: date) -> float:
    """A date as fractional months since year 0, on the same scale as `ordinal_midpoint_months`."""
    return day.year * 12 + (day.month - 1) + (day.day - 1) / _DAYS_PER_MONTH


def tenure_months(hire_date: date, period: str, period_type: PeriodType) -> float:
    """Months from hire date to the middle of the period (never negative)."""
    mid = ordinal_midpoint_months(to_ordinal(period, period_type), period_type)
    return max(0.0, mid - date_months(hire_date))
