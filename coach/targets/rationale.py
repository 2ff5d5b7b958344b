"""The offline rationale: two or three sentences rendered from the basis numbers.

Every number the template may show is formatted here once and recorded, so the list
returned beside the text is exactly what an LLM rephrase is allowed to state.
"""

from __future__ import annotations

from typing import Any

from coach.core.prompts import render_text
from coach.targets.models import Basis, MetricInfo
from coach.targets.ranges import display_decimals

_PEER_LABELS = {
    "zh": {"team": "同团队同岗同级", "role+level": "同岗同级", "role": "同岗位",
           "department": "同部门", "all": "全部"},
    "en": {"team": "same-team, same-role-and-level", "role+level": "same role and level",
           "role": "same-role", "department": "same-department", "all": "all"},
}  # fmt: skip


class _Numbers:
    """Formats numbers for display and remembers the values shown."""

    def __init__(self, integer_valued: bool) -> None:
        self.integer_valued = integer_valued
        self.shown: list[float] = []

    def value(self, x: float) -> str:
        """A metric value at display precision."""
        decimals = display_decimals(x, integer_valued=self.integer_valued)
        self.shown.append(round(x, decimals))
        return f"{x:,.{decimals}f}"

    def count(self, x: float) -> str:
        """A whole number."""
        self.shown.append(float(round(x)))
        return str(round(x))

    def period(self, text: str) -> str:
        """A period; a year (`2026`) reads as a number, so it joins the allowed ones."""
        if text.isdigit():
            self.shown.append(float(text))
        return text

    def pct(self, x: float, *, signed: bool = False, decimals: int = 0) -> str:
        """A share as a percentage number (0.123 -> "12" or "+12")."""
        shown = round(x * 100, decimals)
        self.shown.append(shown)
        return f"{shown:+.{decimals}f}" if signed else f"{shown:.{decimals}f}"


def build_rationale(
    *,
    info: MetricInfo,
    period: str,
    commit: float,
    target: float,
    stretch: float,
    commit_probability: float,
    stretch_probability: float,
    basis: Basis,
    integer_valued: bool,
    lang: str = "zh",
) -> tuple[str, list[float]]:
    """Render the rationale in `lang` ("zh" or "en") and return it with its allowed numbers."""
    lang = "en" if lang.lower().startswith("en") else "zh"
    n = _Numbers(integer_valued)
    trend_pct = basis.trend_pct
    # Mention an adjustment only when it changes the target by a visible amount.
    seasonal = basis.seasonality and abs(basis.seasonal_factor - 1) >= 0.005
    ramp = basis.ramp_applied and basis.tenure_months is not None
    trend = abs(trend_pct) >= 0.0005
    variables: dict[str, Any] = {
        "period": n.period(period),
        "unit": info.unit,
        "lower_is_better": info.direction == "lower_is_better",
        "commit": n.value(commit),
        "target": n.value(target),
        "stretch": n.value(stretch),
        "commit_pct": n.pct(commit_probability),
        "stretch_pct": n.pct(stretch_probability),
        "cold_start": basis.own_periods == 0,
        "own_periods": n.count(basis.own_periods),
        "peer_label": _PEER_LABELS[lang][basis.peer_group],
        "peer_count": n.count(basis.peer_count),
        "peer_median": n.value(basis.peer_median) if basis.peer_median is not None else None,
        "own_median": n.value(basis.own_median) if basis.own_median is not None else None,
        "last_value": n.value(basis.last_value) if basis.last_value is not None else None,
        "last_period": n.period(basis.last_period) if basis.last_period else None,
        "peer_weight_pct": n.pct(basis.shrinkage_weight),
        "seasonal": seasonal,
        "seasonal_pct": n.pct(basis.seasonal_factor - 1, signed=True) if seasonal else None,
        "trend": trend,
        "trend_pct": n.pct(trend_pct, signed=True, decimals=1) if trend else None,
        "ramp": ramp,
        "ramp_pct": n.pct(basis.ramp_factor - 1, signed=True) if ramp else None,
        "tenure_months": n.count(basis.tenure_months or 0) if ramp else None,
        "outliers": n.count(basis.outliers_dropped) if basis.outliers_dropped else None,
    }
    text = render_text("targets/rationale.j2", lang=lang, **variables)
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text, sorted(set(n.shown))
