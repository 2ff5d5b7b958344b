"""`TargetData`: employees, metrics and history indexed for fast forecasting.

History is stored per metric as parallel numpy arrays (employee index, period ordinal,
value). Fitted per-metric statistics are cached on the instance, so a batch of
requests pays for the peer-group estimation once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from coach.targets.errors import InvalidPeriod, UnknownEmployee, UnknownMetric
from coach.targets.models import EmployeeInfo, HistoryPoint, MetricInfo, PeerScope
from coach.targets.periods import to_ordinal


@dataclass(frozen=True)
class MetricHistory:
    """All observations of one metric; arrays are aligned and sorted by (employee, period)."""

    employee: npt.NDArray[np.int64]
    ordinal: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]

    @property
    def size(self) -> int:
        """Number of observations."""
        return int(self.value.size)


@dataclass
class TargetData:
    """Employees, metric definitions and history, with lookup indices and a fit cache.

    The cache assumes the rows do not change: build a fresh instance when they do
    (`coach.targets.service.cached_target_data` keys instances by the data's version).
    """

    employees: list[EmployeeInfo]
    metrics: dict[str, MetricInfo]
    history: dict[str, MetricHistory]
    employee_index: dict[str, int]
    duplicates_replaced: int = 0
    peer_scope: PeerScope = "department"
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        employees: Iterable[EmployeeInfo],
        metrics: Iterable[MetricInfo],
        history: Iterable[HistoryPoint],
        *,
        peer_scope: PeerScope = "department",
    ) -> TargetData:
        """Index plain rows; unknown ids or malformed periods in history raise typed errors."""
        employee_list = list(employees)
        employee_index = {e.employee_id: i for i, e in enumerate(employee_list)}
        metric_map = {m.metric: m for m in metrics}
        # Keyed by (metric, employee, ordinal): a later duplicate row replaces an earlier one,
        # the same rule the CSV import applies (upsert).
        cells: dict[str, dict[tuple[int, int], float]] = {m: {} for m in metric_map}
        ordinal_cache: dict[tuple[str, str], int] = {}
        duplicates = 0
        for point in history:
            metric = metric_map.get(point.metric)
            if metric is None:
                raise UnknownMetric(point.metric, metric_map)
            emp = employee_index.get(point.employee_id)
            if emp is None:
                raise UnknownEmployee(point.employee_id)
            key = (metric.period_type, point.period)
            ordinal = ordinal_cache.get(key)
            if ordinal is None:
                try:
                    ordinal = to_ordinal(point.period, metric.period_type)
                except InvalidPeriod as exc:
                    raise InvalidPeriod(point.period, metric.period_type, metric.metric) from exc
                ordinal_cache[key] = ordinal
            bucket = cells[metric.metric]
            if (emp, ordinal) in bucket:
                duplicates += 1
            bucket[(emp, ordinal)] = point.value
        indexed: dict[str, MetricHistory] = {}
        for name, bucket in cells.items():
            if bucket:
                keys = np.array(list(bucket.keys()), dtype=np.int64)
                values = np.fromiter(bucket.values(), dtype=np.float64, count=len(bucket))
            else:
                keys = np.zeros((0, 2), dtype=np.int64)
                values = np.zeros(0, dtype=np.float64)
            order = np.lexsort((keys[:, 1], keys[:, 0]))
            indexed[name] = MetricHistory(
                employee=keys[order, 0], ordinal=keys[order, 1], value=values[order]
            )
        return cls(
            employees=employee_list,
            metrics=metric_map,
            history=indexed,
            employee_index=employee_index,
            duplicates_replaced=duplicates,
            peer_scope=peer_scope,
        )

    def employee(self, employee_id: str) -> EmployeeInfo:
        """The employee with this id, or `UnknownEmployee`."""
        index = self.employee_index.get(employee_id)
        if index is None:
            raise UnknownEmployee(employee_id)
        return self.employees[index]

    def metric(self, metric: str) -> MetricInfo:
        """The metric with this id, or `UnknownMetric`."""
        info = self.metrics.get(metric)
        if info is None:
            raise UnknownMetric(metric, self.metrics)
        return info
