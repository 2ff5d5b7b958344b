"""Turning stored content into what a page shows: draft sections with cited evidence, and the
geometry of the charts drawn on the server.

Generic on purpose: it walks whatever a draft kind stores, so a new kind or a new field shows
up without a template change. Evidence is looked up by id in the draft's inputs snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from coach.oversight.calibration import Calibration
from coach.quality import CommentCheck

_EVIDENCE_KEYS = ("evidence_ids", "summary_evidence_ids")
# The data sufficiency has its own note on the draft page, above the content.
_HIDDEN = {"quality_flags", "rationale_numbers", "data_sufficiency", *_EVIDENCE_KEYS}
_TEXT_FIELDS = (
    "title", "description", "manager_feedback", "progress", "obstacles", "support_needed",
    "next_actions", "impact", "snippet", "dimension_label", "name",
)  # fmt: skip


@dataclass
class Evidence:
    id: str
    kind: str
    date: str
    text: str


@dataclass
class Item:
    fields: list[tuple[str, str]]
    evidence: list[Evidence] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    items: list[Item]


def evidence_index(inputs: dict[str, Any]) -> dict[str, Evidence]:
    """Every record of a draft's inputs snapshot by its citation id."""
    snapshot = inputs.get("snapshot") or {}
    records: list[dict[str, Any]] = []
    if isinstance(snapshot.get("profile"), dict):
        records.append(snapshot["profile"])
    for group in ("key_results", "checkins", "reviews", "events", "practices"):
        records.extend(r for r in snapshot.get(group) or [] if isinstance(r, dict))
    index = {}
    for record in records:
        parts = [str(record[k]) for k in _TEXT_FIELDS if record.get(k)]
        if record.get("kind") == "key_result":
            parts.append(
                f"{record.get('current')} / {record.get('target')} {record.get('unit', '')}"
            )
        if record.get("kind") == "review":
            parts.append(f"{record.get('cycle')}: {record.get('score')}")
        index[str(record["id"])] = Evidence(
            id=str(record["id"]), kind=str(record.get("kind", "")),
            date=str(record.get("date") or record.get("due_date") or ""),
            text=" · ".join(parts[:3]),
        )  # fmt: skip
    return index


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(_scalar(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _flat(value: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, inner in value.items():
        if key in _HIDDEN:
            continue
        if isinstance(inner, dict):
            out.extend(_flat(inner, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", _scalar(inner)))
    return out


def _item(value: dict[str, Any], evidence: dict[str, Evidence], ids_key: str) -> Item:
    ids = [str(i) for i in value.get(ids_key) or []]
    return Item(
        fields=_flat(value),
        evidence=[evidence[i] for i in ids if i in evidence],
        missing=[i for i in ids if i not in evidence],
    )


def sections(content: dict[str, Any], evidence: dict[str, Evidence] | None = None) -> list[Section]:
    """Content as sections: one per list of items, plus one for the top-level fields."""
    evidence = evidence or {}
    top = _item(content, evidence, "summary_evidence_ids")
    top.fields = [
        (k, _scalar(v)) for k, v in content.items()
        if k not in _HIDDEN and not (isinstance(v, list) and v and isinstance(v[0], dict))
    ]  # fmt: skip
    out = [Section("summary", [top])] if top.fields else []
    for key, value in content.items():
        if key in _HIDDEN or not (isinstance(value, list) and value and isinstance(value[0], dict)):
            continue
        out.append(Section(key, [_item(v, evidence, "evidence_ids") for v in value]))
    return out


def pretty_json(value: Any) -> str:
    """JSON for the edit box: indented, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, indent=2)


def marked(text: str, check: CommentCheck) -> list[tuple[str, int | None]]:
    """The text cut into (segment, finding index or None), for <mark> highlighting."""
    pieces: list[tuple[str, int | None]] = []
    cursor = 0
    for index, finding in enumerate(check.findings):
        if finding.start < cursor:
            continue  # overlapping spans: the first one wins
        pieces.append((text[cursor : finding.start], None))
        pieces.append((text[finding.start : finding.end], index))
        cursor = finding.end
    pieces.append((text[cursor:], None))
    return [(segment, index) for segment, index in pieces if segment]


@dataclass
class ChartRow:
    """One manager's line in the calibration dot plot, in SVG user units."""

    label: str
    y: float
    mean_x: float | None
    adjusted_x: float | None
    flagged: bool


@dataclass
class DotPlot:
    width: float
    height: float
    left: float
    right: float
    org_x: float | None
    ticks: list[tuple[float, str]]
    rows: list[ChartRow]


def calibration_plot(report: Calibration, *, low: float, high: float) -> DotPlot:
    """Where each manager's raw and adjusted mean fall on the score scale, and the org's mean."""
    left, right, step = 120.0, 620.0, 28.0

    def x(value: float | None) -> float | None:
        if value is None or high <= low:
            return None
        return round(left + (right - left) * (value - low) / (high - low), 1)

    rows = [
        ChartRow(label=m.name, y=30 + step * n, mean_x=x(m.mean), adjusted_x=x(m.adjusted_mean),
                 flagged=bool(m.flags))
        for n, m in enumerate(report.managers)
    ]  # fmt: skip
    ticks = [(x(v) or left, f"{v:g}") for v in _steps(low, high)]
    return DotPlot(
        width=right + 30, height=30 + step * len(rows) + 20, left=left, right=right,
        org_x=x(report.organisation.mean), ticks=ticks, rows=rows,
    )  # fmt: skip


def _steps(low: float, high: float) -> list[float]:
    count = max(1, min(10, round(high - low)))
    return [low + (high - low) * i / count for i in range(count + 1)]
