"""The backtest's small-company variant: separate companies, pooled cases."""

from __future__ import annotations

import pytest

from evals import targets
from evals.target_data import generate


def test_small_companies_are_fitted_apart_and_scored_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(targets, "SMALL_COMPANIES", 2)
    pooled = targets.backtest_small_companies(seed=3)
    apart = [targets.backtest(generate(seed=s, n_employees=targets.SMALL_SIZE)) for s in (3, 4)]
    for metric, scores in pooled.items():
        assert len(scores.cases) == sum(len(r[metric].cases) for r in apart)
        assert len(scores.forecasts["engine"]) == len(scores.cases)
    report = targets.evaluate(variant="small", seed=3)
    assert report["variant"] == "small"
    assert report["short_history"]["n"] >= 1
