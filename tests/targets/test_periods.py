from datetime import date

import pytest

from coach.targets.errors import InvalidPeriod
from coach.targets.periods import (
    compare_periods,
    next_period,
    offset_period,
    parse_period,
    period_start,
    season_index,
    tenure_months,
    to_ordinal,
)


def test_parse_and_next_wrap_the_year() -> None:
    assert parse_period("2025Q3", "quarter") == (2025, 3)
    assert parse_period("2025-07", "month") == (2025, 7)
    assert next_period("2025Q4", "quarter") == "2026Q1"
    assert next_period("2025-12", "month") == "2026-01"
    assert offset_period("2025Q1", -1, "quarter") == "2024Q4"
    assert offset_period("2025-03", 14, "month") == "2026-05"


def test_compare_and_ordinals_are_consecutive() -> None:
    assert compare_periods("2024Q4", "2025Q1", "quarter") == -1
    assert compare_periods("2025-07", "2025-07", "month") == 0
    assert to_ordinal("2025Q1", "quarter") - to_ordinal("2024Q4", "quarter") == 1


def test_season_index_and_dates() -> None:
    assert season_index("2025Q4", "quarter") == 3
    assert season_index("2025-02", "month") == 1
    assert period_start("2025Q3", "quarter") == date(2025, 7, 1)
    # Hired 1 Jan, the middle of Q1 is mid-February: 1.5 months.
    assert tenure_months(date(2025, 1, 1), "2025Q1", "quarter") == pytest.approx(1.5)
    assert tenure_months(date(2025, 6, 1), "2025Q1", "quarter") == 0.0


@pytest.mark.parametrize(
    ("text", "period_type"),
    [
        ("2025Q5", "quarter"),
        ("2025-13", "month"),
        ("2025Q3", "month"),
        ("2025-07", "quarter"),
        ("Q3", "quarter"),
    ],
)
def test_malformed_periods_raise_invalid_period(text: str, period_type: str) -> None:
    with pytest.raises(InvalidPeriod) as info:
        parse_period(text, period_type)  # type: ignore[arg-type]
    assert info.value.code == "invalid_period"
    assert text in str(info.value)


def test_annual_periods_are_plain_years() -> None:
    assert parse_period("2025", "annual") == (2025, 1)
    assert next_period("2025", "annual") == "2026"
    assert offset_period("2025", -3, "annual") == "2022"
    assert to_ordinal("2026", "annual") - to_ordinal("2025", "annual") == 1
    assert period_start("2025", "annual") == date(2025, 1, 1)
    assert tenure_months(date(2025, 1, 1), "2025", "annual") == pytest.approx(6.0)
    with pytest.raises(InvalidPeriod, match="not an annual period like 2025"):
        parse_period("2025Q1", "annual")
