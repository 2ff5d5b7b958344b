"""What a manager sees at a glance: each report's latest check-in, open drafts, goals off track,
and one person's metric history with the latest suggested target range per metric."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.chains.records import load_snapshot
from coach.core.errors import Forbidden
from coach.core.models import CheckIn, Direction, DraftStatus, Employee, Metric, MetricValue, Role
from coach.core.units import unit_kind_for
from coach.drafts.store import decisions_for, list_drafts
from coach.org.access import get_employee, list_employees, manages
from coach.org.users import Principal
from coach.targets.engine import counts_whole_units, suggest_target
from coach.targets.errors import TargetError
from coach.targets.models import PeriodTypeName, TargetRequest
from coach.targets.periods import next_period, period_start, to_ordinal
from coach.targets.service import load_target_data


class OffTrack(BaseModel):
    kr_id: str
    title: str
    progress_pct: int
    expected_pct: int


class TeamMember(BaseModel):
    """One direct report as the team list shows them."""

    employee_id: str
    name: str
    role: str
    level: str
    team: str
    latest_checkin: date | None = None
    latest_checkin_vague: bool | None = Field(
        default=None, description="The stored vague-comment verdict of that check-in's feedback."
    )
    open_drafts: int = 0
    off_track: list[OffTrack] = Field(default_factory=list)


def _require_manager(principal: Principal) -> str:
    if principal.role != Role.manager or not principal.employee_id:
        raise Forbidden(f"the team view is for managers, not a {principal.role.value}")
    return principal.employee_id


def team_overview(session: Session, principal: Principal, *, as_of: date) -> list[TeamMember]:
    """The manager's direct reports with their latest check-in, open drafts and off-track goals."""
    own = _require_manager(principal)
    reports, _ = list_employees(session, principal, manager_id=own, limit=1000)
    members = []
    for person in reports:
        latest = session.exec(
            select(CheckIn)
            .where(CheckIn.employee_id == person.employee_id)
            .where(col(CheckIn.date) >= (person.hire_date or date.min), col(CheckIn.date) <= as_of)
            .order_by(col(CheckIn.date).desc())
            .limit(1)
        ).first()
        _, open_drafts = list_drafts(
            session, principal, status=DraftStatus.pending, employee_id=person.employee_id, limit=1
        )
        snapshot = load_snapshot(
            session, employee_id=person.employee_id, draft_kind="checkin_topics", as_of=as_of
        )
        members.append(
            TeamMember(
                employee_id=person.employee_id, name=person.name, role=person.role,
                level=person.level, team=person.team,
                latest_checkin=latest.date if latest else None,
                latest_checkin_vague=(latest.feedback_check or {}).get("vague") if latest else None,
                open_drafts=open_drafts,
                off_track=[
                    OffTrack(kr_id=kr.id, title=kr.title, progress_pct=kr.progress_pct,
                             expected_pct=kr.expected_pct)
                    for kr in snapshot.key_results if kr.status == "off_track"
                ],
            )
        )  # fmt: skip
    return members


class SuggestedRange(BaseModel):
    draft_id: str
    status: DraftStatus
    period: str
    commit: float
    target: float
    stretch: float


class MetricSeries(BaseModel):
    """One metric's history for one person, oldest period first."""

    metric: str
    name: str
    unit: str
    direction: Direction
    periods: list[str]
    values: list[float]
    next_period: str
    counts: bool = Field(default=False, description="Whole things counted: drawn as points.")
    suggestion: SuggestedRange | None = Field(
        default=None, description="The newest target draft for the next period, unless rejected."
    )


def _suggestion(draft: Any, final: dict[str, Any] | None) -> SuggestedRange:
    numbers = final or draft.output
    return SuggestedRange(
        draft_id=draft.id, status=draft.status, period=draft.output.get("period", ""),
        commit=numbers["commit"], target=numbers["target"], stretch=numbers["stretch"],
    )  # fmt: skip


def _ends_after(period: str, metric: Metric, day: date | None) -> bool:
    """Whether a metric period lasts past a day (a period ending before the hire date does not)."""
    if day is None:
        return True
    period_type: PeriodTypeName = metric.period_type.value  # type: ignore[assignment]
    return period_start(next_period(period, period_type), period_type) > day


def metric_history(session: Session, principal: Principal, employee_id: str) -> list[MetricSeries]:
    """A report's metric history with the latest target suggestion, for their manager or HR."""
    person = get_employee(session, principal, employee_id)
    if principal.role != Role.hr and not manages(session, principal, employee_id):
        raise Forbidden(f"only a manager above {employee_id!r} or HR sees their metric history")
    rows = session.exec(
        select(MetricValue, Metric)
        .join(Metric, col(Metric.metric) == col(MetricValue.metric))
        .where(MetricValue.employee_id == employee_id)
    ).all()
    grouped: dict[str, tuple[Metric, list[MetricValue]]] = {}
    for value, metric in rows:
        if not _ends_after(value.period, metric, person.hire_date):
            continue  # someone else's figures, or a data error: not this person's history
        grouped.setdefault(metric.metric, (metric, []))[1].append(value)
    target_drafts, _ = list_drafts(
        session, principal, status=None, kind="target", employee_id=employee_id, limit=200
    )
    series = []
    for name in sorted(grouped):
        metric, values = grouped[name]
        period_type: PeriodTypeName = metric.period_type.value  # type: ignore[assignment]
        values.sort(key=lambda v: to_ordinal(v.period, period_type))
        upcoming = next_period(values[-1].period, period_type)
        latest = next(
            (
                d for d in target_drafts  # newest first
                if d.output.get("metric") == name and d.output.get("period") == upcoming
                and d.status != DraftStatus.rejected
            ),
            None,
        )  # fmt: skip
        final = None
        if latest is not None and latest.status == DraftStatus.approved:
            records = decisions_for(session, latest.id)
            final = records[-1].final_content if records else None
        series.append(
            MetricSeries(
                metric=name, name=metric.name, unit=metric.unit, direction=metric.direction,
                periods=[v.period for v in values], values=[v.value for v in values],
                next_period=upcoming,
                counts=counts_whole_units(
                    metric.unit_kind or unit_kind_for(metric.unit), [v.value for v in values]
                ),
                suggestion=_suggestion(latest, final) if latest is not None else None,
            )
        )  # fmt: skip
    return series


class PeerRange(BaseModel):
    """A range estimated from peers alone, for someone with no history of the metric yet."""

    metric: str
    name: str
    unit: str
    period: str
    commit: float
    target: float
    stretch: float
    peer_count: int
    peer_group: str


def _metrics_of_role(session: Session, role: str) -> dict[str, Metric]:
    """The metrics someone in this role has a value for."""
    rows = session.exec(
        select(Metric)
        .join(MetricValue, col(MetricValue.metric) == col(Metric.metric))
        .join(Employee, col(Employee.employee_id) == col(MetricValue.employee_id))
        .where(Employee.role == role)
        .distinct()
    ).all()
    return {m.metric: m for m in rows}


def _period_after_latest(session: Session, metric: Metric) -> str:
    """The period after the metric's newest value: where a peer-based start begins."""
    period_type: PeriodTypeName = metric.period_type.value  # type: ignore[assignment]
    periods = session.exec(
        select(MetricValue.period).where(MetricValue.metric == metric.metric).distinct()
    ).all()
    return next_period(max(periods, key=lambda p: to_ordinal(p, period_type)), period_type)


def peer_ranges(session: Session, principal: Principal, employee_id: str) -> list[PeerRange]:
    """Peer-based ranges for a report with no metric history, one per metric of their role."""
    person = get_employee(session, principal, employee_id)
    if principal.role != Role.hr and not manages(session, principal, employee_id):
        raise Forbidden(f"only a manager above {employee_id!r} or HR sees their metric history")
    metrics = _metrics_of_role(session, person.role) if person.role else {}
    if not metrics:
        return []
    data = load_target_data(session, metrics)
    ranges = []
    for metric_id in sorted(metrics):
        metric = metrics[metric_id]
        period = _period_after_latest(session, metric)
        try:
            s = suggest_target(
                data, TargetRequest(employee_id=employee_id, metric=metric_id, period=period)
            )
        except TargetError:
            continue  # the engine has no peer basis for this person and metric
        ranges.append(
            PeerRange(
                metric=metric_id, name=metric.name, unit=metric.unit, period=period,
                commit=s.commit, target=s.target, stretch=s.stretch,
                peer_count=s.basis.peer_count, peer_group=s.basis.peer_group,
            )
        )  # fmt: skip
    return ranges
