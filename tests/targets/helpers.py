"""Small factories for target-suggestion tests: a deterministic peer group and its history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from coach.targets import EmployeeInfo, HistoryPoint, MetricInfo, TargetData

SALES = MetricInfo(metric="sales", name="销售额", unit="万元", period_type="quarter")
DEFECTS = MetricInfo(
    metric="defects", name="不良率", unit="%", direction="lower_is_better", period_type="quarter"
)
QUARTERS = [f"{2022 + k // 4}Q{k % 4 + 1}" for k in range(12)]  # 2022Q1 .. 2024Q4


def employee(
    employee_id: str, *, role: str = "rep", level: str = "L2", team: str = "T1",
    hire_date: date | None = date(2018, 1, 1),
) -> EmployeeInfo:  # fmt: skip
    """An employee with sensible defaults."""
    return EmployeeInfo(
        employee_id=employee_id, name=employee_id, role=role, level=level, team=team,
        hire_date=hire_date,
    )  # fmt: skip


def peers(
    n: int = 30,
    *,
    metric: MetricInfo = SALES,
    base: float = 100.0,
    noise: float = 0.05,
    seasonal: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
    periods: Sequence[str] = QUARTERS,
    seed: int = 0,
) -> tuple[list[EmployeeInfo], list[HistoryPoint]]:
    """`n` established peers P00.. with log-normal noise around a person-specific level."""
    rng = np.random.default_rng(seed)
    employees, history = [], []
    for i in range(n):
        emp = employee(f"P{i:02d}", team=f"T{i % 3 + 1}")
        employees.append(emp)
        ability = rng.normal(0, 0.1)
        for k, period in enumerate(periods):
            value = base * math.exp(ability + seasonal[k % len(seasonal)] + rng.normal(0, noise))
            history.append(
                HistoryPoint(employee_id=emp.employee_id, period=period, metric=metric.metric,
                             value=round(value, 3))
            )  # fmt: skip
    return employees, history


def series(
    employee_id: str, values: Sequence[float | None], *, metric: MetricInfo = SALES,
    periods: Sequence[str] = QUARTERS,
) -> list[HistoryPoint]:  # fmt: skip
    """History rows of one employee, right-aligned to the end of `periods` (None = missing)."""
    start = len(periods) - len(values)
    return [
        HistoryPoint(employee_id=employee_id, period=periods[start + k], metric=metric.metric,
                     value=v)
        for k, v in enumerate(values)
        if v is not None
    ]  # fmt: skip


def build(
    employees: Sequence[EmployeeInfo], history: Sequence[HistoryPoint],
    metrics: Sequence[MetricInfo] = (SALES,),
) -> TargetData:  # fmt: skip
    """TargetData from rows."""
    return TargetData.build(employees, metrics, history)
