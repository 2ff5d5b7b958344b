"""Seeded synthetic organisation and metric history for the target-range backtest.

Two deliberately different shapes, so the engine is not tuned to one generator:

* ``base``: multiplicative (log-normal) noise with person-specific volatility, persistent
  ability plus a slowly mean-reverting drift, quarterly (Q4 sales peak) and monthly
  (Chinese New Year dip, year-end push) seasonality, mild trends, exponential ramp-up.
* ``shifted``: additive Student-t(3) noise whose scale grows with the level, abilities that
  wander as random walks, no seasonality at all, strong and individual trends, a linear
  ramp-up, more gaps and outliers, and the defect rate as a binomial proportion (zeros
  happen) with the unit "ratio".

Both have departments and teams with team effects, roles and levels, new hires, churn,
one-off spikes and missing periods, a lower_is_better rate and monthly metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np

from coach.targets.models import EmployeeInfo, HistoryPoint, MetricInfo
from coach.targets.periods import format_period, ordinal_midpoint_months

Variant = Literal["base", "shifted"]


@dataclass(frozen=True)
class RoleSpec:
    """How one role's metric behaves."""

    role: str
    department: str
    metric: MetricInfo
    base: float  # typical value of a fully ramped L1 employee
    level_step: float  # log-effect per level (negative when lower is better)
    volatility: float  # typical noise sd on the log scale
    seasonal: tuple[float, ...]  # log factors per quarter or month
    trend: float  # common log-trend per period
    ramp_depth: float  # relative shortfall at hire (rates: excess)
    ramp_months: float
    share: float


ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        "sales_rep", "销售部",
        MetricInfo(metric="sales_revenue", name="销售额", unit="万元",
                   direction="higher_is_better", period_type="quarter"),
        base=120.0, level_step=0.25, volatility=0.16,
        seasonal=(-0.15, 0.0, -0.05, 0.2), trend=0.015,
        ramp_depth=0.6, ramp_months=4.0, share=0.3,
    ),
    RoleSpec(
        "support_agent", "客服部",
        MetricInfo(metric="tickets_resolved", name="解决工单数", unit="件",
                   direction="higher_is_better", period_type="month"),
        base=300.0, level_step=0.12, volatility=0.08,
        seasonal=(0.0, -0.25, 0.05, 0.0, 0.0, 0.0, -0.05, -0.05, 0.0, 0.05, 0.1, 0.15),
        trend=0.003, ramp_depth=0.4, ramp_months=2.0, share=0.3,
    ),
    RoleSpec(
        "line_operator", "制造部",
        MetricInfo(metric="defect_rate", name="不良率", unit="%",
                   direction="lower_is_better", period_type="month"),
        base=2.0, level_step=-0.2, volatility=0.2,
        seasonal=(0.0,) * 12, trend=-0.005,
        ramp_depth=1.0, ramp_months=3.0, share=0.25,
    ),
    RoleSpec(
        "engineer", "研发部",
        MetricInfo(metric="story_points", name="交付故事点", unit="点",
                   direction="higher_is_better", period_type="quarter"),
        base=40.0, level_step=0.15, volatility=0.12,
        seasonal=(0.0, 0.0, 0.0, 0.0), trend=0.01,
        ramp_depth=0.5, ramp_months=6.0, share=0.15,
    ),
)  # fmt: skip

# The base variant's person model on the log scale (see `_series`); `evals.target_ceiling`
# reads the same constants to build the forecaster that knows them.
ABILITY_SD = 0.25
LOWER_ABILITY_FACTOR = 0.8  # abilities matter less for the defect rate
DRIFT_PHI = 0.85  # persistence of the base variant's drift per period
DRIFT_SD = 0.05  # its disturbance per quarter (scaled down for monthly metrics)

START_YEAR = 2022
YEARS = 4
LEVELS = ("L1", "L2", "L3")


@dataclass(frozen=True)
class Latent:
    """What generated one base-variant value, for the oracle ceiling (never shown to the engine).

    The value is `exp(known + ability + drift + volatility * z)`, times a one-off factor
    when `spike`; the drift follows `drift <- DRIFT_PHI * drift + N(0, drift_sd^2)`.
    """

    known: float  # team, level, trend, seasonality and ramp-up, on the log scale
    volatility: float
    drift_sd: float  # per period of the metric
    spike: bool


@dataclass(frozen=True)
class SyntheticDataset:
    """Plain rows, as a CSV import would deliver them, and the latent values behind them."""

    employees: list[EmployeeInfo]
    metrics: list[MetricInfo]
    history: list[HistoryPoint]
    variant: Variant
    seed: int
    # (employee_id, metric, period) -> Latent; base variant only
    latent: dict[tuple[str, str, str], Latent] = field(default_factory=dict, repr=False)


def _months_to_date(months: float) -> date:
    year, rest = divmod(months, 12)
    month = int(rest)
    day = int((rest - month) * 28)
    return date(int(year), month + 1, 1) + timedelta(days=day)


def generate(
    *, seed: int = 0, n_employees: int = 800, variant: Variant = "base"
) -> SyntheticDataset:
    """Generate an organisation and its metric history deterministically from `seed`."""
    rng = np.random.default_rng(seed)
    shifted = variant == "shifted"
    start_months = START_YEAR * 12
    end_months = (START_YEAR + YEARS) * 12
    employees: list[EmployeeInfo] = []
    history: list[HistoryPoint] = []
    latent: dict[tuple[str, str, str], Latent] = {}
    shares = np.array([r.share for r in ROLES])
    role_idx = rng.choice(len(ROLES), size=n_employees, p=shares / shares.sum())
    team_size = 9
    team_effects: dict[str, float] = {}
    team_members: dict[str, int] = {}
    for i in range(n_employees):
        spec = ROLES[int(role_idx[i])]
        # Teams fill up in order within a department.
        key = spec.department
        count = team_members.get(key, 0)
        team_members[key] = count + 1
        team = f"{spec.role}-T{count // team_size + 1:02d}"
        if team not in team_effects:
            team_effects[team] = float(rng.normal(0, 0.15 if shifted else 0.1))
        level_no = int(rng.choice(3, p=[0.45, 0.35, 0.2]))
        new_hire = rng.random() < (0.3 if shifted else 0.25)
        if new_hire:
            hire_months = rng.uniform(start_months - 3, end_months - 2)
            level_no = 0 if rng.random() < 0.8 else level_no
        else:
            hire_months = start_months - rng.uniform(6, 12 * (2 + 4 * level_no))
        churn_months = (
            rng.uniform(max(hire_months, start_months) + 3, end_months + 24)
            if rng.random() < 0.25
            else math.inf
        )
        employee_id = f"E{i:05d}"
        employees.append(
            EmployeeInfo(
                employee_id=employee_id,
                name=f"员工{i:05d}",
                role=spec.role,
                level=LEVELS[level_no],
                department=spec.department,
                team=team,
                manager_id=None,
                hire_date=_months_to_date(hire_months),
            )
        )
        history.extend(
            _series(rng, spec, employee_id, level_no, team_effects[team], hire_months,
                    churn_months, shifted, latent)
        )  # fmt: skip
    return SyntheticDataset(employees, dataset_metrics(variant), history, variant, seed, latent)


def _series(
    rng: np.random.Generator,
    spec: RoleSpec,
    employee_id: str,
    level_no: int,
    team_effect: float,
    hire_months: float,
    churn_months: float,
    shifted: bool,
    latent: dict[tuple[str, str, str], Latent],
) -> list[HistoryPoint]:
    period_type = spec.metric.period_type
    per_year = 4 if period_type == "quarter" else 12
    steps_per_year_scale = 4 / per_year  # trends and drifts are quoted per quarter-ish scale
    ability = float(rng.normal(0, ABILITY_SD))
    volatility = spec.volatility * float(np.exp(rng.normal(0, 0.35)))
    own_trend = float(rng.normal(0, 0.03 if shifted else 0.006)) * steps_per_year_scale
    common_trend = spec.trend * (2.5 if shifted else 1.0)
    drift = 0.0
    rows: list[HistoryPoint] = []
    lower = spec.metric.direction == "lower_is_better"
    ability_effect = ability * (LOWER_ABILITY_FACTOR if lower else 1.0)
    drift_sd = DRIFT_SD * math.sqrt(steps_per_year_scale)
    for step in range(YEARS * per_year):
        ordinal = START_YEAR * per_year + step
        mid = ordinal_midpoint_months(ordinal, period_type)
        # The person changes between periods whether or not the period is observed.
        if shifted:
            drift += float(rng.normal(0, 0.04 * math.sqrt(steps_per_year_scale)))
        else:
            drift = DRIFT_PHI * drift + float(rng.normal(0, drift_sd))
        if mid < hire_months or mid > churn_months:
            continue
        if rng.random() < (0.12 if shifted else 0.05):
            continue  # missing period
        tenure = mid - hire_months
        if shifted:
            ramp_share = min(1.0, tenure / (1.5 * spec.ramp_months))
            ramp = 1.0 - spec.ramp_depth * (1.0 - ramp_share)
        else:
            ramp = 1.0 - spec.ramp_depth * math.exp(-tenure / spec.ramp_months)
        season = 0.0 if shifted else spec.seasonal[step % per_year]
        log_level = (
            math.log(spec.base)
            + spec.level_step * level_no
            + team_effect
            + ability_effect
            + drift
            + (common_trend + own_trend) * step
            + season
        )
        # New operators make more defects; new sellers sell less.
        mean = math.exp(log_level) * ((2.0 - ramp) if lower else ramp)
        value = _observe(rng, spec, mean, volatility, shifted)
        spike = rng.random() < (0.04 if shifted else 0.02)
        if spike:
            value *= float(rng.choice([0.35, 2.5, 3.0]))  # one-off spike or slump
        value = _finish(spec, value, shifted)
        period = format_period(ordinal // per_year, ordinal % per_year + 1, period_type)
        rows.append(
            HistoryPoint(
                employee_id=employee_id, period=period, metric=spec.metric.metric, value=value
            )
        )
        if not shifted:
            latent[(employee_id, spec.metric.metric, period)] = Latent(
                known=math.log(mean) - ability_effect - drift,
                volatility=volatility,
                drift_sd=drift_sd,
                spike=spike,
            )
    return rows


def _observe(
    rng: np.random.Generator, spec: RoleSpec, mean: float, volatility: float, shifted: bool
) -> float:
    if spec.metric.metric == "defect_rate" and shifted:
        units = int(rng.integers(200, 800))
        p = min(mean / 100, 0.5)
        return float(rng.binomial(units, p)) / units
    if shifted:
        # Additive heavy-tailed noise, its scale growing like the square root of the level.
        scale = volatility * math.sqrt(mean * spec.base)
        return max(mean + scale * float(rng.standard_t(3)) / math.sqrt(3), 0.05 * mean)
    return mean * math.exp(volatility * float(rng.normal()))


def _finish(spec: RoleSpec, value: float, shifted: bool) -> float:
    if spec.metric.metric == "tickets_resolved":
        return float(round(value))
    if spec.metric.metric == "defect_rate":
        return round(min(value, 1.0 if shifted else 100.0), 4)
    return round(value, 2)


def dataset_metrics(variant: Variant) -> list[MetricInfo]:
    """The metric definitions of a variant (the shifted defect rate is a ratio in [0, 1])."""
    if variant == "base":
        return [r.metric for r in ROLES]
    return [
        r.metric.model_copy(update={"unit": "ratio"})
        if r.metric.metric == "defect_rate"
        else r.metric
        for r in ROLES
    ]
