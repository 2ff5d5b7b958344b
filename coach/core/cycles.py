"""Goal and review cycles: a year (`2026`), a half (`2026H1`) or a quarter (`2026Q3`)."""

from __future__ import annotations

import re
from datetime import date, timedelta

_CYCLE = re.compile(r"^(\d{4})(?:(H)([12])|(Q)([1-4]))?$")
CYCLE_EXAMPLES = "2026, 2026H1 or 2026Q3"


def cycle_span(cycle: str) -> tuple[date, date] | None:
    """First and last day of a cycle, or None when `cycle` names none."""
    match = _CYCLE.match(cycle)
    if not match:
        return None
    year = int(match.group(1))
    if match.group(2):
        half = int(match.group(3))
        return date(year, 1 + 6 * (half - 1), 1), date(year, 6, 30) if half == 1 else date(
            year, 12, 31
        )
    if match.group(4):
        quarter = int(match.group(5))
        return date(year, 3 * quarter - 2, 1), month_end(date(year, 3 * quarter, 1))
    return date(year, 1, 1), date(year, 12, 31)


def is_cycle(text: str) -> bool:
    """Whether `text` names a cycle."""
    return cycle_span(text) is not None


def half_of(day: date) -> str:
    """The half-year cycle containing a day."""
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def month_end(day: date) -> date:
    """The last day of the month containing `day`."""
    first_next = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return first_next - timedelta(days=1)
