"""What kind of quantity a metric's unit names, and the guess made from the unit string.

The kind decides rounding (counts get whole numbers) and bounds (percentages and ratios stay
inside 0..100 and 0..1). A metric states its kind; the guess only fills it in where nobody
did (rows imported before the column existed, files without it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class UnitKind(StrEnum):
    # Not `count`: the member would shadow str.count.
    counts = "count"  # whole things: clients, tickets, deals
    amount = "amount"  # a continuous quantity: money, minutes, points of a score
    ratio = "ratio"  # a share between 0 and 1
    percent = "percent"  # a share between 0 and 100
    unspecified = "unspecified"  # the values decide


PERCENT_UNITS = frozenset({"%", "％", "percent", "pct", "百分比", "百分点"})
COUNT_UNITS = frozenset({"家", "件", "个", "单", "人", "次", "台", "笔", "张", "位", "名", "套",
                         "份", "条", "count", "pcs", "items", "deals", "clients", "tickets"})  # fmt: skip
RATIO_UNITS = frozenset({"ratio", "rate", "share", "fraction", "比例", "比率", "占比"})


def unit_kind_for(unit: str) -> UnitKind:
    """The kind a unit string names, or `unspecified` when it names none of them."""
    key = unit.strip().lower()
    if key in COUNT_UNITS:
        return UnitKind.counts
    if key in PERCENT_UNITS:
        return UnitKind.percent
    if key in RATIO_UNITS:
        return UnitKind.ratio
    return UnitKind.unspecified


def unit_kind_default(context: Any) -> str:
    """Column default: the kind guessed from the row's unit (SQLAlchemy insert context)."""
    return unit_kind_for(str(context.get_current_parameters().get("unit") or "")).value
