"""Time `suggest_targets` on 10,000 employees x 3 metrics x 12 periods (30,000 requests).

Run: ``python -m benchmarks.targets_bench``. Bar: under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np

from coach.targets import (
    EmployeeInfo,
    HistoryPoint,
    MetricInfo,
    TargetData,
    TargetRequest,
    TargetSuggestion,
    suggest_targets,
)
from coach.targets.periods import format_period

METRICS = (
    MetricInfo(metric="sales_revenue", unit="万元", direction="higher_is_better", period_type="quarter"),
    MetricInfo(metric="tickets_resolved", unit="件", direction="higher_is_better", period_type="month"),
    MetricInfo(metric="defect_rate", unit="%", direction="lower_is_better", period_type="month"),
)  # fmt: skip


def build_rows(
    n_employees: int, n_periods: int, seed: int = 1
) -> tuple[list[EmployeeInfo], list[HistoryPoint]]:
    """Employees in 40 role/level cells and ~1,000 teams, each with every metric's history."""
    rng = np.random.default_rng(seed)
    employees = [
        EmployeeInfo(
            employee_id=f"E{i:06d}",
            name=f"E{i:06d}",
            role=f"role{i % 4}",
            level=f"L{(i // 4) % 10}",
            team=f"T{i // 10:04d}",
            hire_date=date(2015 + int(rng.integers(0, 10)), int(rng.integers(1, 13)), 1),
        )
        for i in range(n_employees)
    ]
    history: list[HistoryPoint] = []
    ability = rng.normal(0, 0.3, size=(n_employees, len(METRICS)))
    for m, metric in enumerate(METRICS):
        per_year = 4 if metric.period_type == "quarter" else 12
        periods = [format_period(2024 + k // per_year, k % per_year + 1, metric.period_type)
                   for k in range(n_periods)]  # fmt: skip
        noise = rng.normal(0, 0.15, size=(n_employees, n_periods))
        base = {"sales_revenue": 100.0, "tickets_resolved": 300.0, "defect_rate": 2.0}[
            metric.metric
        ]
        values = base * np.exp(ability[:, m : m + 1] + noise)
        for i, employee in enumerate(employees):
            for k, period in enumerate(periods):
                history.append(
                    HistoryPoint(
                        employee_id=employee.employee_id,
                        period=period,
                        metric=metric.metric,
                        value=round(float(values[i, k]), 3),
                    )
                )
    return employees, history


def main() -> None:
    """Build the data, then time the batch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--periods", type=int, default=12)
    args = parser.parse_args()
    employees, history = build_rows(args.employees, args.periods)
    started = time.perf_counter()
    data = TargetData.build(employees, METRICS, history)
    built = time.perf_counter() - started
    requests = []
    for metric in METRICS:
        per_year = 4 if metric.period_type == "quarter" else 12
        k = args.periods
        period = format_period(2024 + k // per_year, k % per_year + 1, metric.period_type)
        requests += [TargetRequest(employee_id=e.employee_id, metric=metric.metric, period=period)
                     for e in employees]  # fmt: skip
    started = time.perf_counter()
    results = suggest_targets(data, requests)
    elapsed = time.perf_counter() - started
    failures = sum(not isinstance(r, TargetSuggestion) for r in results)
    print(f"history rows: {len(history):,}  TargetData.build: {built:.2f} s")
    print(
        f"suggest_targets: {len(requests):,} requests in {elapsed:.2f} s "
        f"({elapsed / len(requests) * 1e6:.0f} us/request, {failures} errors) "
        f"[bar < 10 s: {'PASS' if elapsed < 10 else 'FAIL'}]"
    )


if __name__ == "__main__":
    main()
