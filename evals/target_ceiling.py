"""The best forecast any engine could make on the base variant: a ceiling for the backtest.

The oracle knows everything the generator decided except what a forecaster must infer
from the person's history: each period's team, level, trend, seasonal and ramp-up
effects, the person's noise level and which past values were one-off spikes. It does not
know the person's ability or the current state of their drift; those it infers exactly,
with a Kalman filter on the log scale whose model is the generator's own (ability drawn
around zero, drift an AR(1) started at zero in the first period). Its quantiles are
therefore Bayes-optimal for the information it has, which is strictly more than the
engine has; no method can expect to beat it, and the share of the baseline's loss it
removes is the most the backtest can show on this variant.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy import stats

from coach.targets.models import MetricInfo
from coach.targets.periods import to_ordinal

from .target_data import (
    ABILITY_SD,
    DRIFT_PHI,
    LOWER_ABILITY_FACTOR,
    START_YEAR,
    SyntheticDataset,
)


class CeilingOracle:
    """Quantile forecasts of the oracle for the base variant's history."""

    def __init__(self, dataset: SyntheticDataset) -> None:
        if not dataset.latent:
            raise ValueError("the ceiling needs the base variant's latent values")
        self._latent = dataset.latent
        period_type = {m.metric: m.period_type for m in dataset.metrics}
        self._series: dict[tuple[str, str], list[tuple[int, str, float]]] = defaultdict(list)
        for p in dataset.history:
            ordinal = to_ordinal(p.period, period_type[p.metric])
            self._series[(p.employee_id, p.metric)].append((ordinal, p.period, p.value))
        for points in self._series.values():
            points.sort()

    def quantiles(
        self, employee_id: str, metric: MetricInfo, period: str, levels: tuple[float, ...]
    ) -> tuple[float, ...]:
        """The oracle's quantiles of `employee_id`'s value in `period`, from earlier values."""
        target = self._latent[(employee_id, metric.metric, period)]
        per_year = 4 if metric.period_type == "quarter" else 12
        ordinal = to_ordinal(period, metric.period_type)
        factor = LOWER_ABILITY_FACTOR if metric.direction == "lower_is_better" else 1.0
        q = target.drift_sd**2
        # State (ability, drift); the drift is 0 before the generator's first period.
        mean = np.zeros(2)
        cov = np.diag([(ABILITY_SD * factor) ** 2, 0.0])
        transition = np.diag([1.0, DRIFT_PHI])
        observed = {o: (p, v) for o, p, v in self._series[(employee_id, metric.metric)]}
        for step in range(START_YEAR * per_year, ordinal + 1):
            mean = transition @ mean
            cov = transition @ cov @ transition.T + np.diag([0.0, q])
            if step == ordinal or step not in observed:
                continue
            past, value = observed[step]
            latent = self._latent[(employee_id, metric.metric, past)]
            if latent.spike or value <= 0:
                continue
            innovation = math.log(value) - latent.known - mean.sum()
            f = cov.sum() + latent.volatility**2
            gain = cov.sum(axis=1) / f
            mean = mean + gain * innovation
            cov = cov - np.outer(gain, gain) * f
        centre = target.known + mean.sum()
        sd = math.sqrt(cov.sum() + target.volatility**2)
        return tuple(math.exp(centre + sd * float(stats.norm.ppf(level))) for level in levels)
