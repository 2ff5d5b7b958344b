"""Turning stored content into what a page shows: draft sections with cited evidence, and the
geometry of the charts drawn on the server.

Generic on purpose: it walks whatever a draft kind stores, so a new kind or a new field shows
up without a template change. Evidence is looked up by id in the draft's inputs snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlmodel import Session

from coach.core.models import Metric
from coach.drafts.content import model_in
from coach.drafts.decisions import ContentProblem
from coach.drafts.edits import KEPT_FIELDS
from coach.oversight.calibration import Calibration
from coach.quality import CommentCheck
from coach.records import list_metrics
from coach.targets.ranges import format_display

from .i18n import STRINGS, Lang, translator

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


def sections(
    content: dict[str, Any],
    evidence: dict[str, Evidence] | None = None,
    *,
    hidden: frozenset[str] = frozenset(),
) -> list[Section]:
    """Content as sections: one per list of items, plus one for the top-level fields."""
    evidence = evidence or {}
    content = _without(content, hidden) if hidden else content
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


def _without(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


# Codes a person reading their own plan has no use for; the title beside each says the same.
EMPLOYEE_HIDDEN = frozenset({"practice_id"})


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


def metrics_by_id(session: Session) -> dict[str, Metric]:
    """Metric definitions by id, so pages show 销售回款 and 万元 rather than `revenue`."""
    rows, _ = list_metrics(session, limit=10_000)
    return {m.metric: m for m in rows}


def metric_name(session: Session, metric: str) -> str:
    """One metric's own name, or its id when the definition is gone."""
    known = metrics_by_id(session).get(metric)
    return known.name if known else metric


# --- target drafts in words --------------------------------------------------------------

_CHINESE_TENTHS = "一两三四五六七八九"


@dataclass
class Level:
    key: str
    value: str
    likely: str


@dataclass
class TargetView:
    """A target draft as a manager reads it: levels in words, the basis in two sentences,
    and the model's internals apart, for the "how it was calculated" disclosure."""

    metric_name: str
    unit: str
    period: str
    levels: list[Level]
    lower_is_better: bool
    basis: list[str]
    internals: list[tuple[str, str]]
    rationale: str


def likelihood(probability: float, lang: Lang) -> str:
    """A probability as people say it: "约八成把握达到" / "about 80% likely to be reached"."""
    t = translator(lang)
    tenths = round(probability * 10)
    if tenths >= 10:
        return t("likely_sure")
    if tenths <= 0:
        return t("likely_hardly")
    return t("likely", share=f"{_CHINESE_TENTHS[tenths - 1]}成", pct=tenths * 10)


def number_text(value: float, exact: bool = False) -> str:
    """A number at display precision (or as recorded, if `exact`); whole numbers read as one
    ("5家", not "5.00家")."""
    if float(value).is_integer():
        return str(int(value))
    return str(value) if exact else format_display(float(value))


def _quantity(value: Any, unit: str, lang: Lang) -> str:
    if not isinstance(value, int | float):
        return ""
    return translator(lang)("level_value", value=number_text(value), unit=unit).strip()


def _basis_sentences(
    basis: dict[str, Any], *, person: str, metric: str, unit: str, lang: Lang
) -> list[str]:
    t = translator(lang)
    periods = int(basis.get("own_periods") or 0)
    if periods and basis.get("last_value") is not None:
        own = t(
            "basis_own", name=person, periods=periods, metric=metric,
            period=basis.get("last_period") or "", value=_quantity(basis["last_value"], unit, lang),
        )  # fmt: skip
    else:
        own = t("basis_own_none", name=person, metric=metric)
    extra = ""
    if abs(float(basis.get("trend_pct") or 0)) >= 0.005:
        extra += t("basis_trend", pct=f"{float(basis['trend_pct']) * 100:+.1f}%")
    if basis.get("seasonality"):
        extra += t("basis_season")
    count = int(basis.get("peer_count") or 0)
    if count and basis.get("peer_median") is not None:
        group_key = f"peer_{basis.get('peer_group')}"
        peers = t(
            "basis_peers", count=count, extra=extra,
            group=t(group_key) if group_key in STRINGS else "",
            median=_quantity(basis["peer_median"], unit, lang),
        )  # fmt: skip
    else:
        peers = t("basis_no_peers", extra=extra)
    return [own, peers]


def _internals(output: dict[str, Any], unit: str, lang: Lang) -> list[tuple[str, str]]:
    t = translator(lang)
    basis = output.get("basis") or {}
    quantiles = output.get("quantiles") or {}
    rows: list[tuple[str, str]] = []
    if quantiles:
        shown = " · ".join(
            f"{float(q) * 100:.0f}%: {_quantity(v, unit, lang)}"
            for q, v in sorted(quantiles.items(), key=lambda pair: float(pair[0]))
        )
        rows.append((t("i_quantiles"), shown))
    numbers: list[tuple[str, str, Any]] = [
        ("i_own_median", "value", basis.get("own_median")),
        ("i_peer_median", "value", basis.get("peer_median")),
        ("i_shrinkage", "pct", basis.get("shrinkage_weight")),
        ("i_trend", "value", basis.get("trend")),
        ("i_seasonal_factor", "plain", basis.get("seasonal_factor")),
        ("i_horizon", "plain", basis.get("horizon")),
        ("i_tenure", "plain", basis.get("tenure_months")),
        ("i_ramp", "plain", basis.get("ramp_factor")),
        ("i_outliers", "plain", basis.get("outliers_dropped")),
        ("i_sd", "plain", basis.get("predictive_sd")),
    ]
    for key, how, value in numbers:
        if not isinstance(value, int | float):
            continue
        if how == "value":
            text = _quantity(value, unit, lang)
        elif how == "pct":
            text = f"{value * 100:.0f}%"
        else:
            text = number_text(value)
        rows.append((t(key), text))
    if basis.get("method"):
        rows.append((t("i_method"), f"{basis['method']} ({basis.get('scale', '')})"))
    return rows


def target_view(output: dict[str, Any], *, person: str, metric_name: str, lang: Lang) -> TargetView:
    """A target draft's content in words, for the draft page."""
    unit = str(output.get("unit") or "")
    metric = metric_name or str(output.get("metric") or "")
    levels = [
        Level("commit", _quantity(output.get("commit"), unit, lang),
              likelihood(float(output["commit_probability"]), lang)),
        # The target is the middle of the predicted distribution: even odds by construction.
        Level("target", _quantity(output.get("target"), unit, lang), likelihood(0.5, lang)),
        Level("stretch", _quantity(output.get("stretch"), unit, lang),
              likelihood(float(output["stretch_probability"]), lang)),
    ]  # fmt: skip
    return TargetView(
        metric_name=metric, unit=unit, period=str(output.get("period") or ""), levels=levels,
        lower_is_better=output.get("direction") == "lower_is_better",
        basis=_basis_sentences(output.get("basis") or {}, person=person, metric=metric,
                               unit=unit, lang=lang),
        internals=_internals(output, unit, lang), rationale=str(output.get("rationale") or ""),
    )  # fmt: skip


# --- the edit form of a draft's items ------------------------------------------------------

_SHORT_TEXT = frozenset({"title", "practice_title", "gap", "need", "action"})


@dataclass
class FormField:
    """One input of the edit form, named by its path in the content."""

    name: str
    key: str
    widget: Literal["textarea", "text", "select", "date", "hidden", "list"]
    value: str = ""
    values: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    error: str = ""
    option_names: dict[str, str] = field(default_factory=dict)


@dataclass
class FormItem:
    """One item (a strength, a topic, …) or the draft's top-level fields, with its citations."""

    path: str
    fields: list[FormField]
    cites: str = ""
    cited: list[Evidence] = field(default_factory=list)
    others: list[Evidence] = field(default_factory=list)
    error: str = ""


@dataclass
class FormSection:
    key: str
    items: list[FormItem]
    can_add: bool
    can_remove: bool
    error: str = ""


@dataclass
class EditForm:
    top: FormItem
    sections: list[FormSection]
    error: str = ""


def _bounds(info: FieldInfo) -> tuple[int, int | None]:
    low, high = 0, None
    for rule in info.metadata:
        low = getattr(rule, "min_length", None) or low
        high = getattr(rule, "max_length", None) or high
    return low, high


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list


def _widget(name: str, info: FieldInfo) -> tuple[FormField, list[str]]:
    annotation = info.annotation
    if get_origin(annotation) is Literal:
        return FormField(name, name, "select"), [str(a) for a in get_args(annotation)]
    if annotation is dt.date:
        return FormField(name, name, "date"), []
    if annotation is int:
        return FormField(name, name, "hidden"), []
    if _is_list(annotation):
        return FormField(name, name, "list"), []
    return FormField(name, name, "text" if name in _SHORT_TEXT else "textarea"), []


def _form_item(
    schema: type[BaseModel],
    value: dict[str, Any],
    path: str,
    evidence: dict[str, Evidence],
    errors: dict[str, str],
) -> FormItem:
    prefix = f"{path}." if path else ""
    item = FormItem(path=path, fields=[], error=errors.get(path, "") if path else "")
    for name, info in schema.model_fields.items():
        here = prefix + name
        inner = model_in(info.annotation)
        if name in KEPT_FIELDS or (inner is not None and _is_list(info.annotation)):
            continue
        if inner is not None:
            nested = _form_item(inner, value.get(name) or {}, here, evidence, errors)
            item.fields.extend(replace(f, key=f"{name}.{f.key}") for f in nested.fields)
            continue
        if name in _EVIDENCE_KEYS:
            ids = [str(i) for i in value.get(name) or []]
            item.cites = here
            item.cited = [evidence.get(i) or Evidence(i, "", "", "") for i in ids]
            item.others = [e for i, e in evidence.items() if i not in ids]
            item.error = item.error or errors.get(here, "")
            continue
        widget, options = _widget(name, info)
        widget.name, widget.options, widget.error = here, options, errors.get(here, "")
        current = value.get(name)
        if widget.widget == "list":
            low, _ = _bounds(info)
            entries = [str(v) for v in current or []]
            widget.values = entries + [""] * max(0, low - len(entries))
        else:
            widget.value = "" if current is None else str(current)
        if name == "practice_id":
            # The practices retrieved for this plan, by title: the id is for the machine.
            known = {
                e.id: e.text.split(" · ")[0] for e in evidence.values() if e.kind == "practice"
            }
            if known:
                widget.widget, widget.options, widget.option_names = "select", [*known], known
        item.fields.append(widget)
    return item


def edit_form(
    schema: type[BaseModel],
    content: dict[str, Any],
    evidence: dict[str, Evidence],
    errors: dict[str, str] | None = None,
) -> EditForm:
    """The edit form of a draft: one input per field of each item, its citations beside it."""
    errors = errors or {}
    sections = []
    for name, info in schema.model_fields.items():
        inner = model_in(info.annotation)
        if inner is None or not _is_list(info.annotation):
            continue
        values = [v for v in content.get(name) or [] if isinstance(v, dict)]
        low, high = _bounds(info)
        items = [
            _form_item(inner, v, f"{name}.{n}", evidence, errors) for n, v in enumerate(values)
        ]
        sections.append(
            FormSection(
                key=name, items=items, can_add=high is None or len(items) < high,
                can_remove=len(items) > low,
                error=errors.get(name, ""),
            )
        )  # fmt: skip
    return EditForm(
        top=_form_item(schema, content, "", evidence, errors), sections=sections,
        error=errors.get("", ""),
    )  # fmt: skip


_PROBLEM_KEYS = {
    "missing": "err_missing", "string_too_short": "err_short_text", "too_short": "err_few_items",
    "too_long": "err_many_items", "string_too_long": "err_long_text", "literal_error": "err_choice",
    "date_from_datetime_parsing": "err_date", "date_parsing": "err_date",
}  # fmt: skip


def problem_text(problem: ContentProblem, lang: Lang) -> str:
    """What is wrong with one field of an edit, in the page language."""
    t = translator(lang)
    key = _PROBLEM_KEYS.get(problem.type)
    if key == "err_few_items" and problem.path.endswith(_EVIDENCE_KEYS):
        key = "err_no_citation"
    if key is None:
        return problem.message.removeprefix("Value error, ")
    return t(key, n=problem.limit) if problem.limit is not None else t(key, n="")


def form_errors(problems: list[ContentProblem], lang: Lang) -> dict[str, str]:
    """Each refused field's path with what is wrong with it (the first problem per field)."""
    out: dict[str, str] = {}
    for problem in problems:
        out.setdefault(problem.path, problem_text(problem, lang))
    return out
