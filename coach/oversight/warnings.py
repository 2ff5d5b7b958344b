"""Early warnings about people: a key result behind, a check-in gap, a metric falling, the same
obstacle again and again, support asked for and not answered.

Each warning names the records it rests on and says, in Chinese, why it was raised; the
thresholds are settings. A manager sees warnings about the people below them, HR everyone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.chains.records import load_snapshot
from coach.core.errors import Forbidden
from coach.core.models import CheckIn, Direction, Employee, Metric, MetricValue, Role
from coach.core.settings import Settings
from coach.org.access import report_ids
from coach.org.users import Principal
from coach.oversight.dialogue import answered_support, letters_and_digits, similarity, trigrams
from coach.quality.parts import has_resource_need
from coach.targets.periods import PeriodType, period_start, season_length, to_ordinal

WarningKind = Literal[
    "kr_off_track", "checkin_gap", "metric_decline", "repeated_obstacle", "unmet_support"
]
# Two obstacles are the same one when half their trigrams are shared: the generated and the
# demo's recurring obstacles change a customer's name and keep the rest.
OBSTACLE_SIMILARITY = 0.5


class EarlyWarning(BaseModel):
    employee_id: str
    name: str
    kind: WarningKind
    evidence_ids: list[str] = Field(description="The records the warning rests on.")
    message: str = Field(description="Why the warning was raised, in Chinese.")


class EarlyWarnings(BaseModel):
    as_of: date
    data: list[EarlyWarning]
    count: int


def people_in_view(session: Session, principal: Principal) -> list[Employee]:
    """The people a principal may see insight about: HR everyone, a manager those below them."""
    if principal.role == Role.hr:
        return list(session.exec(select(Employee).order_by(col(Employee.employee_id))).all())
    if principal.role == Role.manager and principal.employee_id:
        below = report_ids(session, principal.employee_id)
        rows = session.exec(
            select(Employee)
            .where(col(Employee.employee_id).in_(below))
            .order_by(col(Employee.employee_id))
        ).all()
        return list(rows)
    raise Forbidden(f"insight about people is for HR and managers, not a {principal.role.value}")


def _off_track(session: Session, person: Employee, as_of: date, points: int) -> list[EarlyWarning]:
    snapshot = load_snapshot(
        session, employee_id=person.employee_id, draft_kind="checkin_topics", as_of=as_of
    )
    found = []
    for kr in snapshot.key_results:
        behind = kr.expected_pct - kr.progress_pct
        if kr.progress_pct < 100 and behind >= points:
            found.append(EarlyWarning(
                employee_id=person.employee_id, name=person.name, kind="kr_off_track",
                evidence_ids=[kr.id],
                message=f"关键结果「{kr.title}」截至 {kr.measured_on} 完成 {kr.progress_pct}%，"
                f"而周期已过 {kr.expected_pct}%，落后 {behind} 个百分点（阈值 {points}）。",
            ))  # fmt: skip
    return found


def _gap(person: Employee, checkins: list[CheckIn], as_of: date, days: int) -> list[EarlyWarning]:
    past = [c for c in checkins if c.date <= as_of]
    since = past[-1].date if past else person.hire_date
    if since is None or (as_of - since).days <= days:
        return []
    what = f"上次面谈是 {since}" if past else f"{since} 入职后还没有面谈记录"
    return [EarlyWarning(
        employee_id=person.employee_id, name=person.name, kind="checkin_gap",
        evidence_ids=[past[-1].checkin_id] if past else [],
        message=f"{what}，到 {as_of} 已 {(as_of - since).days} 天，超过面谈周期 {days} 天。",
    )]  # fmt: skip


def _worse(metric: Metric, before: float, after: float) -> float:
    """How much worse `after` is than `before`, relative, in the metric's direction."""
    if before == 0:
        return 0.0
    change = (after - before) / abs(before)
    return -change if metric.direction == Direction.higher_is_better else change


def _declines(
    person: Employee, values: list[MetricValue], metrics: dict[str, Metric], as_of: date,
    threshold: float,
) -> list[EarlyWarning]:  # fmt: skip
    by_metric: dict[str, dict[int, MetricValue]] = defaultdict(dict)
    for value in values:
        metric = metrics[value.metric]
        kind: PeriodType = metric.period_type.value  # type: ignore[assignment]
        if period_start(value.period, kind) <= as_of:
            by_metric[value.metric][to_ordinal(value.period, kind)] = value
    found = []
    for name, series in sorted(by_metric.items()):
        metric = metrics[name]
        latest = max(series)
        # Against the same period a year before only: next to a strong Q4 every Q1 looks like
        # a decline, so without a year of history there is nothing to say.
        earlier = series.get(latest - season_length(metric.period_type.value))  # type: ignore[arg-type]
        if earlier is None:
            continue
        now = series[latest]
        worse = _worse(metric, earlier.value, now.value)
        if worse >= threshold:
            found.append(EarlyWarning(
                employee_id=person.employee_id, name=person.name, kind="metric_decline",
                evidence_ids=[f"{name}:{earlier.period}", f"{name}:{now.period}"],
                message=f"{metric.name} {now.period} 为 {now.value:g}{metric.unit}，比 {earlier.period} 的 "
                f"{earlier.value:g}{metric.unit} 差了 {worse:.0%}（阈值 {threshold:.0%}）。",
            ))  # fmt: skip
    return found


def _repeated(person: Employee, checkins: list[CheckIn], times: int) -> list[EarlyWarning]:
    recent = checkins[-times:]
    if len(recent) < times or not all(c.obstacles.strip() for c in recent):
        return []
    latest = trigrams(letters_and_digits(recent[-1].obstacles))
    if not all(
        similarity(trigrams(letters_and_digits(c.obstacles)), latest) >= OBSTACLE_SIMILARITY
        for c in recent
    ):
        return []
    return [EarlyWarning(
        employee_id=person.employee_id, name=person.name, kind="repeated_obstacle",
        evidence_ids=[c.checkin_id for c in recent],
        message=f"最近 {times} 次面谈都提到同一障碍：「{recent[-1].obstacles.strip()}」。",
    )]  # fmt: skip


def _unmet(person: Employee, checkins: list[CheckIn], as_of: date, days: int) -> list[EarlyWarning]:
    answered = answered_support(checkins)
    found = []
    for n, checkin in enumerate(checkins):
        if not has_resource_need(checkin.support_needed) or checkin.checkin_id in answered:
            continue
        later = checkins[n + 1 : n + 2]
        # The next 1:1 is where an answer is due; without one, the cadence is how long to wait.
        if later or (as_of - checkin.date).days > days:
            found.append(EarlyWarning(
                employee_id=person.employee_id, name=person.name, kind="unmet_support",
                evidence_ids=[checkin.checkin_id, *(c.checkin_id for c in later)],
                message=f"{checkin.date} 提出的支持需求「{checkin.support_needed.strip()}」，"
                + ("下一次面谈也没有经理承诺安排。" if later else f"{days} 天内没有答复。"),
            ))  # fmt: skip
    return found


def early_warnings(
    session: Session, principal: Principal, *, as_of: date, settings: Settings
) -> EarlyWarnings:
    """Warnings about the people the principal may see, as of a day."""
    people = people_in_view(session, principal)
    ids = [p.employee_id for p in people]
    checkins: dict[str, list[CheckIn]] = defaultdict(list)
    for checkin in session.exec(
        select(CheckIn)
        .where(col(CheckIn.employee_id).in_(ids), col(CheckIn.date) <= as_of)
        .order_by(col(CheckIn.date), col(CheckIn.checkin_id))
    ).all():
        checkins[checkin.employee_id].append(checkin)
    values: dict[str, list[MetricValue]] = defaultdict(list)
    for value in session.exec(
        select(MetricValue).where(col(MetricValue.employee_id).in_(ids))
    ).all():
        values[value.employee_id].append(value)
    metrics = {m.metric: m for m in session.exec(select(Metric)).all()}
    found: list[EarlyWarning] = []
    for person in people:
        mine = checkins[person.employee_id]
        found += _off_track(session, person, as_of, settings.warning_kr_behind_points)
        if person.manager_id:
            found += _gap(person, mine, as_of, settings.checkin_cadence_days)
        found += _declines(
            person, values[person.employee_id], metrics, as_of, settings.warning_metric_decline
        )
        found += _repeated(person, mine, settings.warning_obstacle_checkins)
        found += _unmet(person, mine, as_of, settings.checkin_cadence_days)
    return EarlyWarnings(as_of=as_of, data=found, count=len(found))
