"""Horizontal bar charts laid out on the server, drawn as inline SVG by `hr/_bars.html`.

Like the calibration dot plot, the page carries numbers already placed: no script, no CDN,
and a chart that prints and reads without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    width: float | None = None  # None: nothing to measure (n/a), drawn as text only
    text: str = ""
    flagged: bool = False


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    left: float
    right: float
    ticks: list[tuple[float, str]]
    bars: list[Bar]


@dataclass(frozen=True)
class BarInput:
    label: str
    value: float | None
    text: str
    flagged: bool = False


LEFT, RIGHT, STEP = 190.0, 600.0, 28.0


def bar_chart(items: list[BarInput], *, maximum: float, percent: bool = False) -> BarChart:
    """Bars scaled to `maximum`, one row each, with gridlines at fifths of it."""
    span = RIGHT - LEFT
    top = maximum if maximum > 0 else 1.0
    bars = [
        Bar(
            label=item.label, y=24 + STEP * n, text=item.text, flagged=item.flagged,
            width=None if item.value is None else round(span * min(item.value, top) / top, 1),
        )
        for n, item in enumerate(items)
    ]  # fmt: skip
    ticks = [
        (round(LEFT + span * i / 5, 1), f"{top * i / 5:.0%}" if percent else f"{top * i / 5:g}")
        for i in range(6)
    ]
    return BarChart(
        width=RIGHT + 120, height=24 + STEP * len(bars) + 16, left=LEFT, right=RIGHT,
        ticks=ticks, bars=bars,
    )  # fmt: skip
