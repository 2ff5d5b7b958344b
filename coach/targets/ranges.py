"""From forecast quantiles to commit / target / stretch, and display rounding."""

from __future__ import annotations

import math

from coach.targets.errors import InvalidProbabilities
from coach.targets.models import Direction


def validate_probabilities(commit_probability: float, stretch_probability: float) -> None:
    """Raise `InvalidProbabilities` unless 0 < stretch < 0.5 < commit < 1."""
    values = (commit_probability, stretch_probability)
    finite = all(isinstance(v, int | float) and math.isfinite(v) for v in values)
    if not finite or not (0.0 < stretch_probability < 0.5 < commit_probability < 1.0):
        raise InvalidProbabilities(commit_probability, stretch_probability)


def quantile_key(level: float) -> str:
    """Dictionary key of a quantile level: 0.2 -> "0.2", 0.25 -> "0.25"."""
    return f"{round(level, 6):g}"


def level_for(probability: float, direction: Direction) -> float:
    """Quantile level whose value is reached with `probability`.

    Reaching means "at least" for higher_is_better (so the 1-p quantile) and "at most"
    for lower_is_better (the p quantile); hence a lower-is-better commit is the higher value.
    """
    level = 1.0 - probability if direction == "higher_is_better" else probability
    return round(level, 6)


def quantile_levels(
    commit_probability: float, stretch_probability: float, direction: Direction
) -> list[float]:
    """Sorted quantile levels to compute: 0.2, 0.5, 0.8 plus those the probabilities need."""
    levels = {0.2, 0.5, 0.8}
    levels.add(level_for(commit_probability, direction))
    levels.add(level_for(stretch_probability, direction))
    return sorted(levels)


def display_decimals(value: float, *, integer_valued: bool) -> int:
    """Decimals that show about three significant digits (none for counts)."""
    magnitude = abs(value)
    if magnitude == 0 or not math.isfinite(magnitude) or integer_valued:
        return 0
    return int(min(4, max(0, 2 - math.floor(math.log10(magnitude)))))


def round_display(value: float, *, integer_valued: bool = False) -> float:
    """Round a value the way it is shown to people."""
    return round(value, display_decimals(value, integer_valued=integer_valued))


def format_display(value: float, *, integer_valued: bool = False) -> str:
    """Format a value for text, with thousands separators."""
    decimals = display_decimals(value, integer_valued=integer_valued)
    return f"{value:,.{decimals}f}"
