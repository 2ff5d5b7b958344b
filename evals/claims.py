"""An independent checker of the comparative and aggregate claims in coaching drafts.

Written from the record formats alone (the tables in `coach.core.models` and the draft
schemas in `coach.chains.schemas`); it shares no code with the composers or their
validators. Frozen: it is the measuring instrument of the claims eval, written from the
record formats alone; do not tune it to the composer. A pattern may be added when a new
surface form of a claim turns up, never to make a particular draft pass.

Every string in a draft (any of the three kinds) is split into sentences; each recognised
claim is recomputed from the person's records and reported as true, false or unverifiable
(recognised, but the records cannot settle it: no such entity, too little history, ...).
Records count up to the as-of day; a metric period counts once it has ended.

Families and the rules they assert:

- ``extreme``: 最低/最弱/最差/最高/最强/最好(的) / lowest, weakest, worst, highest, strongest,
  best, next to a named review dimension or metric. A dimension is compared with the other
  dimensions of the cycle the sentence names (else the latest reviewed cycle); a metric's
  period (named, else the latest) with the metric's other periods. "Best/worst" follow the
  metric's direction, "highest/lowest" the raw value; ties with the extreme count as true.
  The subject may sit in the clause before ("「行为」得分2.9,是各维度中最低的"). Across
  differently measured metrics ("所有指标中") or among colleagues ("团队中最高") it is
  unverifiable.
- ``frequency``: the topic is the longest phrase (at least 4 characters of Chinese, 10 of
  Latin text) that the sentence shares with a check-in or key event; the count is the number
  of check-ins and events dated up to the as-of day that contain it. Thresholds: 多次, 再次,
  几次, multiple/several times, again need at least 2; 反复, 屡次, 一再, 频繁, repeatedly,
  recurring at least 3; 连续N次 / N consecutive, N check-ins in a row that contain it;
  每次 / every check-in, all check-ins (at least 2). A sentence about a kind of note with
  no quoted topic ("反复出现的障碍") is about the obstacle (or support request) most
  check-ins hold. "避免再次发生" / "so it does not happen again" looks ahead: no claim.
  A frequency word inside a quotation of a record (below) is the record's, not a claim.
- *Quotations*: a span in 「」, “” or "" whose text appears verbatim in one of the person's
  check-ins or key events repeats what the record says; its words are the record author's.
  Frequency words and metric names inside such a span are not read as the draft's claims
  (the topic of a frequency claim may still be quoted).
- ``direction``: 上升/增长/提升/提高/增加 (raw value up), 下降/下滑/减少/降低 (raw value down),
  改善/好转/进步 (better by the metric's direction), 恶化/退步 (worse), next to a metric, in a
  sentence that states a fact (not a question, suggestion or plan). Periods: those the sentence
  names (2026Q3, 第三季度, Q3, 10月, 2026-10), else the consecutive pair whose values match
  "从 A 到 B", else the last two periods up to the as-of day; 同比 compares a year apart.
- ``pace``: 落后/滞后/超前/领先/按计划/进度正常 / behind, ahead, on track, for a key result
  named in the sentence (its title or metric) or, failing that, the single key result among
  the item's evidence ids. Progress share = (value - baseline) / (target - baseline) of the
  latest progress record up to the as-of day; elapsed share = the part of the goal's cycle
  (2026Q4, 2026H2, 2026) gone by on that record's date. Behind iff progress < elapsed - 5
  points; on track iff progress >= elapsed - 5 points; ahead iff progress > elapsed.
  A progress share written in the sentence (完成进度35%) must be the record's, and an
  elapsed share (时间已过去46%, 46%的时间进度) the one on the record's date, each within
  one point (the record's day counted as gone by or not).
- ``strength_decline``: a sentence in a strength (``strengths.*`` or an ``achievement``
  topic) that names a metric: false if the metric got worse (by its direction) between the
  periods chosen as for ``direction``. A key result's title (销售回款达到95) names a
  target, not a trend, and is left out.
- ``percent_points``: a difference (差, 相差, 还差, 高出, 提升了, 下降了, ... N% / N个百分点)
  whose N equals the difference of two percentages (two in the sentence, two values of a
  percent-valued metric or key result, or a key result's progress and elapsed shares) is
  false when written with "%" and true with "个百分点"; an N that is the relative change of
  such a pair is true with "%". "落后于46%的时间进度" compares with a level: no claim.
- ``fractional_count``: a number with a fractional part before a count word (4.87家, 2.5位,
  3.4 customers) is false unless the clause says it is an average (平均, 人均, average, per).
- ``total_count``: 全部/所有/全体 N 位同事, N 位全部同事, N 次 1:1 都, all N check-ins / colleagues
  / dimensions / metrics / key results / events: N must equal the number of such records
  (people: the distinct other people in the records, the person's teammates or direct
  reports; any of the three counts).

Run ``python -m evals.claims --demo`` for today's figures on the demo company with the
offline engine, or ``python -m evals.claims --database URL`` for the stored drafts of a
database.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlmodel import Session, col, select

from coach.core.models import (
    CheckIn,
    Employee,
    Goal,
    KeyEvent,
    KeyResult,
    Metric,
    MetricValue,
    ProgressUpdate,
    ReviewScore,
)

Verdict = Literal["true", "false", "unverifiable"]
Family = Literal[
    "extreme",
    "frequency",
    "direction",
    "pace",
    "strength_decline",
    "percent_points",
    "fractional_count",
    "total_count",
]
FAMILIES: tuple[Family, ...] = (
    "extreme", "frequency", "direction", "pace", "strength_decline",
    "percent_points", "fractional_count", "total_count",
)  # fmt: skip

PACE_TOLERANCE = 0.05
MIN_CJK_PHRASE = 4
MIN_LATIN_PHRASE = 10


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSeries:
    """One metric's history for the person: period label -> value."""

    key: str
    name: str
    unit: str = ""
    lower_is_better: bool = False
    values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyResultRecord:
    """A key result with its goal's cycle and its dated progress values."""

    kr_id: str
    title: str
    cycle: str
    baseline: float
    target: float
    current: float
    metric: str | None = None
    unit: str = ""
    progress: Sequence[tuple[date, float]] = ()


@dataclass(frozen=True)
class CheckInText:
    """A check-in: its date and its text fields by name."""

    checkin_id: str
    date: date
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRecord:
    """A key event: date, kind (positive/negative/neutral) and its text."""

    event_id: str
    date: date
    kind: str
    description: str
    impact: str = ""


@dataclass(frozen=True)
class PersonRecords:
    """Everything the checker recomputes claims from, as plain data."""

    employee_id: str
    as_of: date
    hire_date: date | None = None
    reviews: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    metrics: Sequence[MetricSeries] = ()
    key_results: Sequence[KeyResultRecord] = ()
    checkins: Sequence[CheckInText] = ()
    events: Sequence[EventRecord] = ()
    people_in_records: int = 0
    teammates: int = 0
    reports: int = 0


@dataclass(frozen=True)
class Claim:
    """One recognised claim and what the records say about it."""

    family: Family
    text: str
    path: str
    verdict: Verdict
    reason: str


def load_records(session: Session, employee_id: str, *, as_of: date) -> PersonRecords:
    """The person's records from the database, as the checker's plain structure."""
    employee = session.get(Employee, employee_id)
    reviews: dict[str, dict[str, float]] = {}
    reviewers: set[str] = set()
    for score in session.exec(select(ReviewScore).where(ReviewScore.employee_id == employee_id)):
        reviews.setdefault(score.cycle, {})[score.dimension] = score.score
        reviewers.add(score.reviewer_id or "")
    metrics = _load_metrics(session, employee_id, as_of)
    key_results = _load_key_results(session, employee_id, as_of)
    checkin_rows = session.exec(
        select(CheckIn)
        .where(CheckIn.employee_id == employee_id, CheckIn.date <= as_of)
        .order_by(col(CheckIn.date))
    ).all()
    event_rows = session.exec(
        select(KeyEvent).where(KeyEvent.employee_id == employee_id, KeyEvent.date <= as_of)
    ).all()
    people = reviewers | {c.manager_id or "" for c in checkin_rows}
    people |= {e.author_id or "" for e in event_rows}
    people -= {"", employee_id}
    return PersonRecords(
        employee_id=employee_id,
        as_of=as_of,
        hire_date=employee.hire_date if employee else None,
        reviews=reviews,
        metrics=metrics,
        key_results=key_results,
        checkins=[
            CheckInText(
                c.checkin_id,
                c.date,
                {
                    "progress": c.progress,
                    "obstacles": c.obstacles,
                    "support_needed": c.support_needed,
                    "next_actions": c.next_actions,
                    "manager_feedback": c.manager_feedback,
                    "employee_comment": c.employee_comment,
                },
            )
            for c in checkin_rows
        ],
        events=[
            EventRecord(e.event_id, e.date, e.kind, e.description, e.impact) for e in event_rows
        ],
        people_in_records=len(people),
        teammates=_count_teammates(session, employee),
        reports=len(session.exec(select(Employee).where(Employee.manager_id == employee_id)).all()),
    )


def _load_metrics(session: Session, employee_id: str, as_of: date) -> list[MetricSeries]:
    values: dict[str, dict[str, float]] = {}
    rows = session.exec(select(MetricValue).where(MetricValue.employee_id == employee_id))
    for row in rows:
        # A period still under way on the as-of day has no result to compare yet.
        bounds = cycle_bounds(row.period)
        if bounds is not None and bounds[1] <= as_of + timedelta(days=1):
            values.setdefault(row.metric, {})[row.period] = row.value
    series = []
    for key, history in sorted(values.items()):
        metric = session.get(Metric, key)
        series.append(
            MetricSeries(
                key=key,
                name=metric.name if metric else key,
                unit=metric.unit if metric else "",
                lower_is_better=bool(metric and metric.direction.value == "lower_is_better"),
                values=dict(sorted(history.items())),
            )
        )
    return series


def _load_key_results(session: Session, employee_id: str, as_of: date) -> list[KeyResultRecord]:
    goals = {
        g.goal_id: g for g in session.exec(select(Goal).where(Goal.employee_id == employee_id))
    }
    if not goals:
        return []
    krs = session.exec(select(KeyResult).where(col(KeyResult.goal_id).in_(list(goals)))).all()
    out = []
    for kr in krs:
        updates = session.exec(
            select(ProgressUpdate)
            .where(ProgressUpdate.kr_id == kr.kr_id, ProgressUpdate.date <= as_of)
            .order_by(col(ProgressUpdate.date))
        ).all()
        out.append(
            KeyResultRecord(
                kr_id=kr.kr_id,
                title=kr.title,
                cycle=goals[kr.goal_id].cycle,
                baseline=kr.baseline,
                target=kr.target,
                current=kr.current,
                metric=kr.metric,
                unit=kr.unit,
                progress=[(u.date, u.value) for u in updates],
            )
        )
    return out


def _count_teammates(session: Session, employee: Employee | None) -> int:
    if employee is None or not employee.team:
        return 0
    same_team = session.exec(select(Employee).where(Employee.team == employee.team)).all()
    return sum(e.employee_id != employee.employee_id for e in same_team)


# --- walking a draft ----------------------------------------------------------------------

_SKIPPED_KEYS = {
    "evidence_ids", "summary_evidence_ids", "practice_id", "quality_flags", "kind", "owner",
    "due_date", "rank",
}  # fmt: skip
# Fields that ask or plan rather than state what happened.
_FORWARD_KEYS = {
    "questions", "suggestion", "first_step", "milestones", "day_30", "day_60", "day_90",
    "action", "need", "next_actions", "resource_needs", "gap",
}  # fmt: skip


@dataclass(frozen=True)
class _Field:
    path: str
    text: str
    evidence_ids: tuple[str, ...]
    strength: bool
    forward: bool


def _fields(
    value: Any, path: tuple[str, ...] = (), item: Mapping[str, Any] | None = None
) -> Iterator[_Field]:
    if isinstance(value, str):
        keys = set(path)
        evidence = _evidence_of(item, path)
        strength = "strengths" in keys or bool(item and item.get("kind") == "achievement")
        yield _Field(".".join(path), value, evidence, strength, bool(keys & _FORWARD_KEYS))
    elif isinstance(value, Mapping):
        here = value if ("evidence_ids" in value or "kind" in value) else item
        for key, sub in value.items():
            if key not in _SKIPPED_KEYS:
                yield from _fields(sub, (*path, str(key)), here)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _fields(sub, (*path, str(i)), item)


def _evidence_of(item: Mapping[str, Any] | None, path: tuple[str, ...]) -> tuple[str, ...]:
    if item is not None and isinstance(item.get("evidence_ids"), list):
        return tuple(str(i) for i in item["evidence_ids"])
    return ()


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[。!?;!?;\n])|(?<=[.])\s+", text)
    return [p.strip() for p in parts if p and p.strip()]


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r"[,,、:]|\s+(?:but|while|and)\s+", sentence) if c.strip()]


# --- shared helpers -----------------------------------------------------------------------

_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}  # fmt: skip
NUM = r"(\d+|[一二两三四五六七八九十]+|one|two|three|four|five|six|seven|eight|nine|ten)"


def parse_count(token: str) -> int:
    """A small count written in digits, Chinese numerals or English words."""
    token = token.lower()
    if token.isdigit():
        return int(token)
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS[token]


def _period_start(period: str) -> date:
    """First day of a period label: 2026Q3, 2026-10, 2026H2 or 2026."""
    if m := re.fullmatch(r"(\d{4})Q([1-4])", period):
        return date(int(m[1]), 3 * int(m[2]) - 2, 1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", period):
        return date(int(m[1]), int(m[2]), 1)
    if m := re.fullmatch(r"(\d{4})H([12])", period):
        return date(int(m[1]), 1 if m[2] == "1" else 7, 1)
    if m := re.fullmatch(r"(\d{4})", period):
        return date(int(m[1]), 1, 1)
    return date.max


def cycle_bounds(cycle: str) -> tuple[date, date] | None:
    """First day of the cycle and first day after it, for 2026Q4, 2026H2, 2026-10, 2026."""
    start = _period_start(cycle)
    if start == date.max:
        return None
    months = 3 if "Q" in cycle else 6 if "H" in cycle else 1 if "-" in cycle else 12
    month = start.month - 1 + months
    return start, date(start.year + month // 12, month % 12 + 1, 1)


def _has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def _mentions(text: str, alias: str) -> bool:
    if _has_cjk(alias):
        return alias in text
    return re.search(rf"(?<![A-Za-z]){re.escape(alias)}(?![A-Za-z])", text, re.I) is not None


def _first_position(text: str, aliases: Sequence[str]) -> int | None:
    positions = []
    for alias in aliases:
        if _has_cjk(alias):
            i = text.find(alias)
        else:
            m = re.search(rf"(?<![A-Za-z]){re.escape(alias)}(?![A-Za-z])", text, re.I)
            i = m.start() if m else -1
        if i >= 0:
            positions.append(i)
    return min(positions) if positions else None


_DIMENSION_ALIASES = {
    "results": ("业绩结果", "工作业绩", "业绩", "成果", "results", "result"),
    "behavior": ("行为表现", "工作行为", "行为", "behavior", "behaviour"),
    "team": ("团队协作", "团队合作", "团队", "协作", "team", "teamwork", "collaboration"),
    "innovation": ("创新能力", "创新", "innovation"),
}


def dimension_aliases(dimension: str) -> tuple[str, ...]:
    """The words a draft may use for a review dimension (its key included)."""
    return (*_DIMENSION_ALIASES.get(dimension.lower(), ()), dimension)


def metric_aliases(metric: MetricSeries) -> tuple[str, ...]:
    """The words a draft may use for a metric: its name, key, and key in words."""
    aliases = [metric.name, metric.key, metric.key.replace("_", " ")]
    if _has_cjk(metric.name) and metric.name.endswith("数") and len(metric.name) >= 4:
        aliases.append(metric.name[:-1])
    return tuple(dict.fromkeys(a for a in aliases if a))


def _metric_in(text: str, records: PersonRecords) -> list[tuple[int, MetricSeries]]:
    found = []
    for metric in records.metrics:
        pos = _first_position(text, metric_aliases(metric))
        if pos is not None:
            found.append((pos, metric))
    return sorted(found, key=lambda pm: pm[0])


def _close(value: float, written: str) -> bool:
    decimals = len(written.partition(".")[2])
    return abs(value - float(written)) <= 0.5 * 10**-decimals + 1e-9


# --- periods named in a sentence ----------------------------------------------------------

_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def named_periods(text: str, metric: MetricSeries) -> list[str]:
    """Periods of the metric's history the text names, in time order."""
    periods = list(metric.values)
    if not periods:
        return []
    monthly = "-" in periods[-1]
    wanted: list[tuple[int | None, int]] = []
    if monthly:
        for m in re.finditer(r"(?:(\d{4})\s*[-年/])?(\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号])", text):
            wanted.append((int(m[1]) if m[1] else None, int(m[2])))
        for m in re.finditer(r"(\d{4})-(\d{2})(?!-\d)", text):
            wanted.append((int(m[1]), int(m[2])))
    else:
        pattern = r"(?:(\d{4})\s*年?\s*)?(?:Q([1-4])|第?([一二三四1-4])季度)|Q([1-4])\s*(\d{4})"
        for m in re.finditer(pattern, text):
            if m[4]:
                wanted.append((int(m[5]), int(m[4])))
            else:
                wanted.append((int(m[1]) if m[1] else None, _CN_QUARTER[m[2] or m[3]]))
    found: list[str] = []
    for year, number in wanted:
        matches = [
            p
            for p in periods
            if _period_number(p) == number and (year is None or p[:4] == str(year))
        ]
        if matches and matches[-1] not in found:
            found.append(matches[-1])
    return sorted(found)


def _period_number(period: str) -> int:
    return int(period[5:]) if "-" in period else int(period[-1])


_FROM_TO = re.compile(
    r"(?:从|由|from)\s*(\d+(?:\.\d+)?)\s*(万)?[^\d,,。;]{0,6}?"
    r"(?:到|至|降到|升到|降至|升至|提升到|提升至|下降到|下降至|增长到|增长至|减少到|减少至|提高到|提高至|to)\s*"
    r"(\d+(?:\.\d+)?)\s*(万)?"
)


def compared_periods(sentence: str, metric: MetricSeries) -> tuple[str, str, str] | None:
    """(earlier, later, how they were chosen) for a sentence about the metric, or None."""
    periods = list(metric.values)
    if len(periods) < 2:
        return None
    named = named_periods(sentence, metric)
    if len(named) >= 2:
        return named[0], named[-1], "the periods named"
    year_on_year = bool(re.search(r"同比|year[- ]on[- ]year|year[- ]over[- ]year", sentence, re.I))
    later = named[0] if named else periods[-1]
    if year_on_year:
        earlier = _year_before(later)
        if earlier not in metric.values:
            return None
        return earlier, later, "year on year"
    if not named and (pair := _from_to_periods(sentence, metric)):
        return (*pair, "the values 从…到…")
    index = periods.index(later)
    if index == 0:
        return None
    return (
        periods[index - 1],
        later,
        "the period named and the one before" if named else "the last two periods",
    )


def _year_before(period: str) -> str:
    return f"{int(period[:4]) - 1}{period[4:]}"


def _scaled(number: str, wan: str | None, metric: MetricSeries) -> float:
    value = float(number)
    return value * 10000 if wan and not metric.unit.startswith("万") else value


def _from_to_values(sentence: str, metric: MetricSeries) -> tuple[float, float] | None:
    m = _FROM_TO.search(sentence)
    if m is None:
        return None
    return _scaled(m[1], m[2], metric), _scaled(m[3], m[4], metric)


def _from_to_periods(sentence: str, metric: MetricSeries) -> tuple[str, str] | None:
    values = _from_to_values(sentence, metric)
    if values is None:
        return None
    periods = list(metric.values)
    for earlier, later in itertools.pairwise(periods):
        if _near(metric.values[earlier], values[0]) and _near(metric.values[later], values[1]):
            return earlier, later
    return None


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.051, 0.01 * abs(a))


# --- family: extreme ----------------------------------------------------------------------

_EXTREME_WORDS: dict[str, tuple[str, bool]] = {
    # word -> (which end, whether it follows the metric's direction)
    "最低": ("min", False), "最弱": ("min", True), "最差": ("min", True),
    "最高": ("max", False), "最强": ("max", True), "最好": ("max", True),
    "lowest": ("min", False), "weakest": ("min", True), "worst": ("min", True),
    "highest": ("max", False), "strongest": ("max", True), "best": ("max", True),
}  # fmt: skip
# 最好 before a verb means "had better"; "best practice" is a phrase, not a ranking.
_EXTREME_RE = re.compile(
    r"最低|最弱|最差|最高|最强|最好(?=的|[,。,;;!?]|$)|\b(?:lowest|weakest|worst|highest|strongest)\b|\bbest\b(?!\s+practice)",
    re.I,
)
# A ranking among colleagues needs their records, which a person's records do not hold.
_AMONG_PEERS = re.compile(
    r"团队中|团队内|团队里|组内|全组|全队|同事中|同事里|同事之中|部门中|部门内"
    r"|among (?:the |his |her |their )?(?:team|peers|colleagues)|in (?:the|his|her|their) team|of the team",
    re.I,
)
_CROSS_METRIC = re.compile(
    r"所有指标|各项指标|各指标|全部指标|all (?:the )?metrics|every metric", re.I
)


def _extreme_claims(sentence: str, path: str, records: PersonRecords) -> list[Claim]:
    claims = []
    clauses = _clauses(sentence)
    for i, clause in enumerate(clauses):
        for m in _EXTREME_RE.finditer(clause):
            word = m.group(0).lower()
            end, directed = _EXTREME_WORDS[word]
            # The subject of "是各维度中最低的" often sits in the clause before.
            before = "".join(clauses[:i])
            entity = _nearest_entity(clause, m.start(), records) or _nearest_entity(
                before, len(before), records
            )
            if entity is None:
                continue
            kind, name = entity
            verdict: Verdict
            if _AMONG_PEERS.search(clause):
                verdict, reason = (
                    "unverifiable",
                    "a ranking among colleagues; their records are not here",
                )
            elif kind == "dimension":
                verdict, reason = _dimension_extreme(sentence, name, end, records)
            elif _CROSS_METRIC.search(sentence):
                verdict, reason = "unverifiable", "metrics in different units cannot be ranked"
            else:
                metric = next(s for s in records.metrics if s.key == name)
                verdict, reason = _metric_extreme(sentence, metric, end, directed)
            claims.append(Claim("extreme", sentence, path, verdict, f"{word}: {reason}"))
    return claims


def _nearest_entity(clause: str, at: int, records: PersonRecords) -> tuple[str, str] | None:
    candidates: list[tuple[int, str, str]] = []
    dimensions = {d for scores in records.reviews.values() for d in scores}
    for dimension in sorted(dimensions):
        pos = _first_position(clause, dimension_aliases(dimension))
        if pos is not None:
            candidates.append((abs(pos - at), "dimension", dimension))
    for pos, metric in _metric_in(clause, records):
        candidates.append((abs(pos - at), "metric", metric.key))
    if not candidates:
        return None
    _, kind, name = min(candidates)
    return kind, name


def _review_cycle(sentence: str, records: PersonRecords) -> str | None:
    named = [c for c in records.reviews if c in sentence]
    for m in re.finditer(r"(\d{4})\s*年?\s*(上|下)半年", sentence):
        named.append(f"{m[1]}H{1 if m[2] == '上' else 2}")
    named = [c for c in named if c in records.reviews]
    if named:
        return named[0]
    return max(records.reviews) if records.reviews else None


def _dimension_extreme(
    sentence: str, dimension: str, end: str, records: PersonRecords
) -> tuple[Verdict, str]:
    cycle = _review_cycle(sentence, records)
    scores = records.reviews.get(cycle or "", {})
    if dimension not in scores or len(scores) < 2:
        return "unverifiable", f"{dimension} is not among two or more dimensions scored in {cycle}"
    pick = min if end == "min" else max
    extreme = pick(scores.values())
    listing = ", ".join(f"{d}={s:g}" for d, s in scores.items())
    return ("true" if scores[dimension] == extreme else "false"), f"{cycle}: {listing}"


def _metric_extreme(
    sentence: str, metric: MetricSeries, end: str, directed: bool
) -> tuple[Verdict, str]:
    if len(metric.values) < 2:
        return "unverifiable", f"{metric.name} has fewer than two periods"
    named = named_periods(sentence, metric)
    period = named[-1] if named else list(metric.values)[-1]
    flip = directed and metric.lower_is_better
    want_max = (end == "max") != flip
    extreme = (max if want_max else min)(metric.values.values())
    value = metric.values[period]
    listing = ", ".join(f"{p}={v:g}" for p, v in metric.values.items())
    return (
        "true" if value == extreme else "false"
    ), f"{metric.name} {period}={value:g} of {listing}"


# --- family: frequency --------------------------------------------------------------------

_FREQUENCY_RE = re.compile(
    r"连续\s*(?P<n>\d+|[一二两三四五六七八九十]+)\s*次"
    r"|(?P<n2>\d+|two|three|four|five|six)\s+(?:consecutive|straight)\s+(?:check-ins|times|meetings|1:1s)"
    r"|(?P<every>每次|每一次|every (?:check-in|1:1|meeting|time)|each (?:check-in|1:1))"
    r"|(?P<three>反复|屡次|一再|频繁|屡屡|repeatedly|recurring|again and again|over and over)"
    r"|(?P<two>多次|再次|又一次|几次|数次|multiple times|several times|more than once|\bagain\b)",
    re.I,
)


def _record_texts(records: PersonRecords) -> list[tuple[str, str]]:
    """(record id, its text) for every check-in and key event."""
    texts = [(c.checkin_id, " ".join(c.texts.values())) for c in records.checkins]
    return texts + [(e.event_id, f"{e.description} {e.impact}") for e in records.events]


def longest_shared_phrase(sentence: str, texts: Sequence[str]) -> str:
    """The longest substring of the sentence found in any of the texts."""
    best = ""
    for text in texts:
        lowered = text.lower()
        s = sentence.lower()
        for i in range(len(s)):
            j = i + len(best) + 1
            while j <= len(s) and s[i:j] in lowered:
                best = sentence[i:j]
                j += 1
    return best.strip()


def _phrase_long_enough(phrase: str) -> bool:
    cjk = len(re.findall(r"[\u4e00-\u9fff]", phrase))
    return cjk >= MIN_CJK_PHRASE or (cjk == 0 and len(phrase) >= MIN_LATIN_PHRASE)


# A frequency word about a kind of note rather than a quoted one: "反复出现的障碍".
_CATEGORY_FIELDS = {
    "obstacles": re.compile(r"障碍|阻碍|困难|卡点|难点|obstacles?|blockers?", re.I),
    "support_needed": re.compile(r"支持|帮助|协助|support|help", re.I),
}


# "避免再次发生" looks ahead: it claims nothing about how often something happened.
_PREVENTED = re.compile(
    r"(?:避免|防止|以免|免得|prevent|avoid)[^,,。;;]{0,12}$|\b(?:not|never|n't)\s+(?:\w+\s+){0,2}$",
    re.I,
)


_QUOTATION = re.compile(r"「([^「」]+)」|“([^“”]+)”|\"([^\"]+)\"")


def quoted_record_spans(sentence: str, record_texts: Sequence[str]) -> list[tuple[int, int]]:
    """Where the sentence quotes one of these record texts (check-ins, key events) verbatim."""
    texts = [text.lower() for text in record_texts]
    spans = []
    for m in _QUOTATION.finditer(sentence):
        inner = next(g for g in m.groups() if g is not None).strip().lower()
        if inner and any(inner in text for text in texts):
            spans.append(m.span())
    return spans


def _inside(at: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= at < end for start, end in spans)


def _masked(sentence: str, spans: Sequence[tuple[int, int]]) -> str:
    """The sentence with the quoted spans blanked, positions kept."""
    chars = list(sentence)
    for start, end in spans:
        chars[start + 1 : end - 1] = "\u3000" * (end - start - 2)
    return "".join(chars)


def _frequency_claims(sentence: str, path: str, records: PersonRecords) -> list[Claim]:
    texts = _record_texts(records)
    quoted = quoted_record_spans(sentence, [t for _, t in texts])
    m = next((w for w in _FREQUENCY_RE.finditer(sentence) if not _inside(w.start(), quoted)), None)
    if m is None or _PREVENTED.search(sentence[: m.start()]):
        return []
    word = m.group(0)
    topic_text = sentence[: m.start()] + " " + sentence[m.end() :]
    phrase = longest_shared_phrase(topic_text, [t for _, t in texts])
    if not _phrase_long_enough(phrase):
        phrase = _most_repeated_note(sentence, records)
    if not phrase:
        return [
            Claim(
                "frequency",
                sentence,
                path,
                "unverifiable",
                f"{word}: no record shares a phrase with it",
            )
        ]
    hits = [rid for rid, text in texts if phrase.lower() in text.lower()]
    verdict, rule = _frequency_verdict(m, phrase, hits, records)
    return [
        Claim(
            "frequency",
            sentence,
            path,
            verdict,
            f"{word} ({rule}): '{phrase}' in {len(hits)} records {hits}",
        )
    ]


def _most_repeated_note(sentence: str, records: PersonRecords) -> str:
    """For a sentence about a kind of note, the note of that kind most check-ins hold."""
    for field_name, pattern in _CATEGORY_FIELDS.items():
        if pattern.search(sentence):
            notes = Counter(c.texts.get(field_name, "").strip() for c in records.checkins)
            notes.pop("", None)
            if notes:
                return notes.most_common(1)[0][0]
    return ""


def _frequency_verdict(
    m: re.Match[str], phrase: str, hits: list[str], records: PersonRecords
) -> tuple[Verdict, str]:
    if m["n"] or m["n2"]:
        needed = parse_count(m["n"] or m["n2"])
        run = _longest_run(phrase, records)
        return ("true" if run >= needed else "false"), f"needs {needed} in a row, longest run {run}"
    if m["every"]:
        total = len(records.checkins)
        inside = sum(phrase.lower() in " ".join(c.texts.values()).lower() for c in records.checkins)
        ok = total >= 2 and inside == total
        return ("true" if ok else "false"), f"needs all {total} check-ins, {inside} have it"
    needed = 3 if m["three"] else 2
    return ("true" if len(hits) >= needed else "false"), f"needs >= {needed}"


def _longest_run(phrase: str, records: PersonRecords) -> int:
    run = best = 0
    for checkin in sorted(records.checkins, key=lambda c: c.date):
        run = run + 1 if phrase.lower() in " ".join(checkin.texts.values()).lower() else 0
        best = max(best, run)
    return best


# --- families: direction and strength_decline ---------------------------------------------

_UP = r"上升|增长|提升|提高|增加|上涨|升至|升到|rose|risen|increased|grew|grown|went up"
_DOWN = r"下降|下滑|减少|降低|回落|降至|降到|下跌|fell|fallen|declined|decreased|dropped|went down"
_BETTER = r"改善|好转|进步|改进|improved"
_WORSE = r"恶化|变差|退步|worsened|deteriorated"
_DIRECTION_RE = re.compile(
    rf"(?P<up>{_UP})|(?P<down>{_DOWN})|(?P<better>{_BETTER})|(?P<worse>{_WORSE})", re.I
)
_NOT_A_FACT = re.compile(
    r"建议|需要|希望|争取|目标|计划|如何|怎样|怎么|能否|是否|可以|应该|应当|力争|预计|期望|打算|[??]"
    r"|\b(?:should|could|would|aim|target|plan|how|whether|goal|let's|need to)\b",
    re.I,
)


def _without_key_result_titles(sentence: str, records: PersonRecords) -> str:
    """The sentence with key-result titles blanked: a title names a target, not a trend."""
    for kr in records.key_results:
        if kr.title:
            sentence = sentence.replace(kr.title, "#")
    return sentence


def _direction_claims(sentence: str, path: str, records: PersonRecords) -> list[Claim]:
    if _NOT_A_FACT.search(sentence):
        return []
    claims = []
    sentence = _without_key_result_titles(sentence, records)
    for clause in _clauses(sentence) if not _FROM_TO.search(sentence) else [sentence]:
        m = _DIRECTION_RE.search(clause)
        metrics = _metric_in(clause, records)
        if m is None or not metrics:
            continue
        metric = min(metrics, key=lambda pm: abs(pm[0] - m.start()))[1]
        claims.append(_direction_claim(sentence, clause, m, metric, path))
    return claims


def _direction_claim(
    sentence: str, clause: str, m: re.Match[str], metric: MetricSeries, path: str
) -> Claim:
    word = m.group(0)
    chosen = compared_periods(sentence, metric)
    if chosen is None:
        values = _from_to_values(sentence, metric)
        if values is None:
            return Claim(
                "direction",
                sentence,
                path,
                "unverifiable",
                f"{word}: {metric.name} lacks the periods to compare",
            )
        earlier_value, later_value = values
        how = "the sentence's own 从…到… values"
    else:
        earlier, later, how = chosen
        earlier_value, later_value = metric.values[earlier], metric.values[later]
        how = f"{earlier}={earlier_value:g} -> {later}={later_value:g} ({how})"
    change = later_value - earlier_value
    better = -change if metric.lower_is_better else change
    if m["up"]:
        ok = change > 0
    elif m["down"]:
        ok = change < 0
    elif m["better"]:
        ok = better > 0
    else:
        ok = better < 0
    return Claim(
        "direction", sentence, path, "true" if ok else "false", f"{word} {metric.name}: {how}"
    )


def _strength_claims(sentence: str, path: str, records: PersonRecords) -> list[Claim]:
    claims = []
    sentence = _without_key_result_titles(sentence, records)
    texts = [t for _, t in _record_texts(records)]
    masked = _masked(sentence, quoted_record_spans(sentence, texts))
    for _, metric in _metric_in(masked, records):
        chosen = compared_periods(sentence, metric)
        if chosen is None:
            claims.append(
                Claim(
                    "strength_decline",
                    sentence,
                    path,
                    "unverifiable",
                    f"{metric.name}: no two periods to compare",
                )
            )
            continue
        earlier, later, how = chosen
        change = metric.values[later] - metric.values[earlier]
        worse = change > 0 if metric.lower_is_better else change < 0
        reason = f"{metric.name} {earlier}={metric.values[earlier]:g} -> {later}={metric.values[later]:g} ({how})"
        claims.append(Claim("strength_decline", sentence, path, "false" if worse else "true",
                            ("got worse: " if worse else "did not get worse: ") + reason))  # fmt: skip
    return claims


# --- family: pace -------------------------------------------------------------------------

_PACE_RE = re.compile(
    r"(?P<behind>落后|滞后|慢于|未达进度|低于(?:时间|预期)?进度|behind|off[- ]track|lagging)"
    r"|(?P<ahead>超前|领先|快于|提前于|ahead of (?:schedule|plan|pace))"
    r"|(?P<on>按计划|进度正常|符合预期|正常推进|on track|on schedule|on plan)",
    re.I,
)


def pace_shares(kr: KeyResultRecord, as_of: date) -> tuple[float, float, date] | None:
    """(progress share, elapsed share of the cycle, on which day) from the latest progress record."""
    bounds = cycle_bounds(kr.cycle)
    if bounds is None or kr.target == kr.baseline:
        return None
    day, value = kr.progress[-1] if kr.progress else (as_of, kr.current)
    start, end = bounds
    elapsed = min(1.0, max(0.0, (day - start).days / (end - start).days))
    return (value - kr.baseline) / (kr.target - kr.baseline), elapsed, day


_ELAPSED_RE = re.compile(
    r"时间(?:进度)?(?:已经|已)?(?:过去|过了|已过|消耗|用去)?了?\s*(?P<a>\d+(?:\.\d+)?)\s*%"
    r"|(?P<b>\d+(?:\.\d+)?)\s*%\s*的?时间(?:进度)?"
    r"|(?P<c>\d+(?:\.\d+)?)\s*% of the (?:time|cycle|quarter|period)"
    r"|(?:time|cycle) elapsed(?: is| of)?:?\s*(?P<d>\d+(?:\.\d+)?)\s*%",
    re.I,
)
_PROGRESS_RE = re.compile(
    r"(?:完成进度|进度完成|当前进度|进度为|进度达到?)\s*(?:约|为)?\s*(?P<a>\d+(?:\.\d+)?)\s*%"
    r"|progress (?:of |at |is )?(?P<b>\d+(?:\.\d+)?)\s*%",
    re.I,
)


def _pace_claims(
    sentence: str, path: str, evidence: Sequence[str], records: PersonRecords
) -> list[Claim]:
    word = _PACE_RE.search(sentence)
    elapsed_written = _ELAPSED_RE.search(sentence)
    progress_written = _PROGRESS_RE.search(sentence)
    if not (word or elapsed_written or progress_written) or "?" in sentence or "?" in sentence:
        return []
    kr = _key_result_for(sentence, evidence, records)
    shares = pace_shares(kr, records.as_of) if kr else None
    if kr is None or shares is None:
        why = (
            "no single key result identified"
            if kr is None
            else f"{kr.kr_id} has no measurable cycle"
        )
        return [Claim("pace", sentence, path, "unverifiable", why)]
    progress, elapsed, day = shares
    basis = f"{kr.kr_id}: progress {progress:.1%} vs elapsed {elapsed:.1%} of {kr.cycle} on {day}"
    claims = []
    if word:
        claims.append(
            Claim(
                "pace",
                sentence,
                path,
                _pace_verdict(word, progress, elapsed),
                f"{word.group(0)} {basis}",
            )
        )
    if elapsed_written:
        number = next(g for g in elapsed_written.groups() if g)
        ok = _share_written(number, [elapsed, *_inclusive_elapsed(kr, day)])
        claims.append(
            Claim(
                "pace",
                sentence,
                path,
                "true" if ok else "false",
                f"elapsed written {number}%: {basis}",
            )
        )
    if progress_written:
        number = next(g for g in progress_written.groups() if g)
        ok = _share_written(number, [progress])
        claims.append(
            Claim(
                "pace",
                sentence,
                path,
                "true" if ok else "false",
                f"progress written {number}%: {basis}",
            )
        )
    return claims


def _pace_verdict(word: re.Match[str], progress: float, elapsed: float) -> Verdict:
    if word["behind"]:
        ok = progress < elapsed - PACE_TOLERANCE
    elif word["ahead"]:
        ok = progress > elapsed
    else:
        ok = progress >= elapsed - PACE_TOLERANCE
    return "true" if ok else "false"


def _inclusive_elapsed(kr: KeyResultRecord, day: date) -> list[float]:
    """The elapsed share counting the record's own day as gone by too."""
    bounds = cycle_bounds(kr.cycle)
    if bounds is None:
        return []
    start, end = bounds
    return [min(1.0, ((day - start).days + 1) / (end - start).days)]


def _share_written(number: str, shares: Sequence[float]) -> bool:
    """Whether a written percentage is one of the shares, within a point for rounding."""
    return any(abs(float(number) - share * 100) <= 1.0 for share in shares)


def _key_result_for(
    sentence: str, evidence: Sequence[str], records: PersonRecords
) -> KeyResultRecord | None:
    named = [kr for kr in records.key_results if kr.title and kr.title in sentence]
    if not named:
        by_metric = {s.key: s for s in records.metrics}
        named = [
            kr for kr in records.key_results
            if kr.metric and kr.metric in by_metric
            and any(_mentions(sentence, a) for a in metric_aliases(by_metric[kr.metric]))
        ]  # fmt: skip
    if not named:
        named = [kr for kr in records.key_results if kr.kr_id in evidence]
    return named[0] if len(named) == 1 else None


# --- family: percent_points ---------------------------------------------------------------

_DIFF_RE = re.compile(
    r"(?:还差|相差|差距|差了|高出|低出|低了|高了|多出|少了|提高了|提升了|下降了|降低了|上升了|增加了|减少了|下滑了|超出|落后|领先|差)"
    # 落后于/高于 X% compares with a level, and "X%的…" names one: neither is a gap.
    r"(?!于)[^\d%。;,,]{0,6}?(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>%|个百分点|百分点)(?!\s*的)"
    r"|(?:by|gap of|difference of|short by|behind by|ahead by)\s+(?P<en>\d+(?:\.\d+)?)\s*(?P<enunit>%|percentage points?|pp\b)",
    re.I,
)
_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def _pairs(values: Sequence[float]) -> list[tuple[float, float]]:
    return list(itertools.pairwise(values))


def _percentages(
    sentence: str, exclude: tuple[int, int], records: PersonRecords
) -> list[tuple[float, float]]:
    """Pairs of percentages a written gap may be the difference of."""
    in_text = [
        float(m[1])
        for m in _PERCENT_RE.finditer(sentence)
        if not exclude[0] <= m.start() < exclude[1]
    ]
    pairs = [(a, b) for i, a in enumerate(in_text) for b in in_text[i + 1 :]]
    for metric in records.metrics:
        if metric.unit == "%":
            pairs += _pairs(list(metric.values.values()))
    for kr in records.key_results:
        if kr.unit == "%":
            latest = kr.progress[-1][1] if kr.progress else kr.current
            pairs += [(kr.baseline, kr.target), (kr.current, kr.target), (latest, kr.target)]
            pairs += _pairs([kr.baseline, *(v for _, v in kr.progress)])
        if shares := pace_shares(kr, records.as_of):
            pairs.append((shares[0] * 100, shares[1] * 100))
    return pairs


def _percent_point_claims(sentence: str, path: str, records: PersonRecords) -> list[Claim]:
    claims = []
    for m in _DIFF_RE.finditer(sentence):
        number = m["n"] or m["en"]
        unit = (m["unit"] or m["enunit"]).lower()
        pairs = _percentages(sentence, m.span(), records)
        difference = next(((a, b) for a, b in pairs if _close(abs(a - b), number)), None)
        relative = next(
            ((a, b) for a, b in pairs if a and _close(abs(b - a) / abs(a) * 100, number)), None
        )
        as_percent = unit == "%"
        if as_percent and relative:
            verdict: Verdict = "true"
            reason = f"{number}% is the relative change from {relative[0]:g} to {relative[1]:g}"
        elif difference:
            verdict = "false" if as_percent else "true"
            reason = f"{number} is the gap between {difference[0]:g}% and {difference[1]:g}%" + (
                ": a difference of percentages is in 个百分点, not %" if as_percent else ""
            )
        else:
            verdict, reason = (
                "unverifiable",
                f"{number}{unit} matches no pair of percentages in the records",
            )
        claims.append(Claim("percent_points", sentence, path, verdict, reason))
    return claims


# --- family: fractional_count -------------------------------------------------------------

_FRACTION_RE = re.compile(
    r"(?P<n>\d+\.\d+)\s*(?:家|位|名|人(?!次)|个(?!月|百分点|点|工作日|小时|季度|星期)|台|件|单|条|笔|项|份|次)"
    r"|(?P<en>\d+\.\d+)\s+(?:customers|clients|people|colleagues|deals|accounts|tickets|times|orders)\b",
    re.I,
)
_AVERAGE_RE = re.compile(r"平均|人均|均值|每人|\baverage|\bavg\b|\bper\b|\bmean\b", re.I)


def _fraction_claims(sentence: str, path: str) -> list[Claim]:
    claims = []
    for clause in _clauses(sentence):
        for m in _FRACTION_RE.finditer(clause):
            if _AVERAGE_RE.search(clause):
                claims.append(
                    Claim("fractional_count", sentence, path, "true", f"{m.group(0)} is an average")
                )
            else:
                claims.append(
                    Claim(
                        "fractional_count",
                        sentence,
                        path,
                        "false",
                        f"{m.group(0)}: a count has no fractional part",
                    )
                )
    return claims


# --- family: total_count ------------------------------------------------------------------

_NOUNS = {
    "people": r"同事|伙伴|成员|人|colleagues|teammates|people|members|peers",
    "checkins": r"1:1|1对1|一对一|沟通|面谈|check-ins|checkins|one-on-ones|meetings",
    "dimensions": r"维度|dimensions",
    "metrics": r"指标|metrics",
    "key_results": r"KR|关键结果|key results",
    "events": r"关键事件|事件|events",
}
_NOUN = "(?P<noun>" + "|".join(_NOUNS.values()) + ")"
_UNIT = r"(?:位|名|个|次|条|项|件)"
_TOTAL_PATTERNS = [
    re.compile(
        rf"(?:全部|所有|全体)\s*(?:的\s*)?(?P<n>{NUM[1:-1]})\s*{_UNIT}\s*(?:的\s*)?{_NOUN}", re.I
    ),
    re.compile(rf"(?P<n>{NUM[1:-1]})\s*{_UNIT}\s*(?:全部|所有|全体)\s*(?:的\s*)?{_NOUN}", re.I),
    re.compile(rf"\ball\s+(?:the\s+|of\s+the\s+)?(?P<n>{NUM[1:-1]})\s+{_NOUN}", re.I),
]
_TOTAL_TAIL_RE = re.compile(
    rf"(?P<n>{NUM[1:-1]})\s*{_UNIT}\s*{_NOUN}[^。;;]{{0,12}}?(?:都|均|全部|全都)", re.I
)


def _noun_kind(noun: str) -> str:
    return next(k for k, v in _NOUNS.items() if re.fullmatch(v, noun, re.I))


def _record_counts(noun: str, records: PersonRecords) -> set[int]:
    if noun == "people":
        return {n for n in (records.people_in_records, records.teammates, records.reports) if n}
    if noun == "checkins":
        return {len(records.checkins)}
    if noun == "dimensions":
        return {len(s) for s in records.reviews.values()}
    if noun == "metrics":
        return {len(records.metrics)}
    if noun == "key_results":
        return {len(records.key_results)}
    return {len(records.events)}


def _total_claims(sentence: str, path: str, records: PersonRecords) -> list[Claim]:
    claims = []
    matches = [m for pattern in _TOTAL_PATTERNS for m in pattern.finditer(sentence)]
    for m in matches or list(_TOTAL_TAIL_RE.finditer(sentence)):
        noun = _noun_kind(m["noun"])
        n = parse_count(m["n"])
        counts = _record_counts(noun, records)
        verdict: Verdict = "true" if n in counts else "false"
        reason = f"{m.group(0)}: the records hold {sorted(counts)} {noun}"
        claims.append(Claim("total_count", sentence, path, verdict, reason))
    return claims


# --- the checker --------------------------------------------------------------------------


def check_draft(output: Mapping[str, Any], records: PersonRecords) -> list[Claim]:
    """Every recognised claim in a draft's output, recomputed from the person's records."""
    claims: list[Claim] = []
    for item in _fields(output):
        for sentence in _sentences(item.text):
            claims += _extreme_claims(sentence, item.path, records)
            claims += _frequency_claims(sentence, item.path, records)
            if not item.forward:
                claims += _direction_claims(sentence, item.path, records)
                claims += _pace_claims(sentence, item.path, item.evidence_ids, records)
                if item.strength:
                    claims += _strength_claims(sentence, item.path, records)
            claims += _percent_point_claims(sentence, item.path, records)
            claims += _fraction_claims(sentence, item.path)
            claims += _total_claims(sentence, item.path, records)
    return claims


# --- the runner ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedDraft:
    """One draft's claims, with whose draft and which kind it is."""

    employee_id: str
    kind: str
    claims: list[Claim]


def check_stored_drafts(session: Session, *, as_of: date | None = None) -> list[CheckedDraft]:
    """Check every stored draft with an output against its person's records."""
    from coach.core.models import Draft

    checked = []
    drafts = session.exec(select(Draft).order_by(col(Draft.employee_id), col(Draft.kind))).all()
    for draft in drafts:
        if not draft.output:
            continue
        day = as_of or _draft_day(draft.inputs, draft.created_at.date())
        records = load_records(session, draft.employee_id, as_of=day)
        checked.append(
            CheckedDraft(draft.employee_id, draft.kind, check_draft(draft.output, records))
        )
    return checked


def _draft_day(inputs: Mapping[str, Any], fallback: date) -> date:
    raw = inputs.get("as_of")
    try:
        return date.fromisoformat(str(raw)) if raw else fallback
    except ValueError:
        return fallback


def report(checked: Sequence[CheckedDraft]) -> None:
    """Print claims, false and unverifiable per family, then the first ten false claims."""
    found: Counter[str] = Counter()
    false: Counter[str] = Counter()
    unverifiable: Counter[str] = Counter()
    for draft in checked:
        for claim in draft.claims:
            found[claim.family] += 1
            false[claim.family] += claim.verdict == "false"
            unverifiable[claim.family] += claim.verdict == "unverifiable"
    print(f"{len(checked)} drafts checked")
    print(f"{'family':<18}{'claims':>8}{'false':>8}{'unverif.':>10}")
    for family in FAMILIES:
        print(f"{family:<18}{found[family]:>8}{false[family]:>8}{unverifiable[family]:>10}")
    print(
        f"{'all':<18}{sum(found.values()):>8}{sum(false.values()):>8}{sum(unverifiable.values()):>10}"
    )
    falses = [(d, c) for d in checked for c in d.claims if c.verdict == "false"]
    if falses:
        print("\nfirst false claims:")
    for draft, claim in falses[:10]:
        print(f"- {draft.employee_id} {draft.kind} {claim.path} [{claim.family}] {claim.text}")
        print(f"    {claim.reason}")


async def _generate_demo_drafts(workdir: Path) -> list[CheckedDraft]:
    from coach.chains.service import generate
    from coach.core.db import make_engine, migrate, session_scope
    from coach.core.errors import CoachError
    from coach.core.models import Role, User
    from coach.core.settings import Settings
    from coach.demo import TODAY, seed_demo
    from coach.kinds import register_all
    from coach.knowledge import HashingEmbedder, ensure_shipped_library, open_knowledge_base
    from coach.llm import OfflineEngine
    from coach.org.users import Principal

    engine = make_engine(f"sqlite:///{workdir / 'claims.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        seed_demo(session)
    register_all()
    kb = open_knowledge_base(chroma_path=workdir / "chroma", embedder=HashingEmbedder())
    ensure_shipped_library(kb)
    with Session(engine) as session:
        hr = session.exec(select(User).where(User.role == Role.hr)).first()
        employees = [
            e.employee_id
            for e in session.exec(select(Employee).order_by(col(Employee.employee_id)))
        ]
    assert hr is not None and hr.id is not None, "the demo seeds an HR user"
    principal = Principal(user_id=hr.id, name=hr.name, role=Role.hr)
    settings = Settings(home=workdir)
    refused: Counter[str] = Counter()
    langs: tuple[Literal["zh", "en"], ...] = ("zh", "en")
    for employee_id, lang in itertools.product(employees, langs):
        for kind in ("checkin_topics", "feedback", "development"):
            try:
                await generate(
                    engine, principal, kind=kind, employee_id=employee_id, chat=OfflineEngine(),
                    settings=settings, knowledge=kb, as_of=TODAY, lang=lang, request={},
                )  # fmt: skip
            except CoachError:
                refused[kind] += 1  # too few records to draft from: nothing to check
    if refused:
        print("not drafted (too few records):", dict(refused))
    with Session(engine) as session:
        checked = check_stored_drafts(session, as_of=TODAY)
    engine.dispose()
    return checked


def main(argv: Sequence[str] | None = None) -> None:
    """Check the demo company's offline drafts (--demo) or a database's stored drafts."""
    parser = argparse.ArgumentParser(
        prog="python -m evals.claims", description=__doc__.splitlines()[0]
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--demo", action="store_true", help="seed the demo company and draft for everyone"
    )
    source.add_argument(
        "--database", metavar="URL", help="check the stored drafts of this database"
    )
    args = parser.parse_args(argv)
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="coach-eval-claims-") as tmp:
            checked = asyncio.run(_generate_demo_drafts(Path(tmp)))
    else:
        from coach.core.db import make_engine

        engine = make_engine(args.database)
        with Session(engine) as session:
            checked = check_stored_drafts(session)
        engine.dispose()
    report(checked)


if __name__ == "__main__":
    main()
