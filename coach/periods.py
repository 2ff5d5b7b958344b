"""Reporting periods as strings: quarters `2025Q3` and months `2025-07`."""

from __future__ import annotations

import re

from coach.models import PeriodType

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period string that does not fit its metric's period type."""


def parse_period(text: str, period_type: PeriodType) -> tuple[int, int]:
    """(year, quarter or month) of a period string of the given type."""
    pattern, example = (
        (_QUARTER, "2025Q3") if period_type == PeriodType.quarter else (_MONTH, "2025-07")
    )
    match = pattern.match(text.strip())
    if not match:
        raise PeriodError(f"{text!r} is not a {period_type.value} period like {example}")
    return int(match.group(1)), int(match.group(2))
