import math
from datetime import date

import numpy as np
import pytest

from coach.targets import (
    HistoryPoint,
    MetricInfo,
    TargetData,
    TargetRequest,
    TargetSuggestion,
    suggest_target,
)
from coach.targets.engine import fit_metric
from tests.targets.helpers import DEFECTS, QUARTERS, build, employee, peers, series


def _suggest(data, employee_id: str = "X", period: str = "2025Q1", **kwargs) -> TargetSuggestion:
    request = TargetRequest(employee_id=employee_id, metric=kwargs.pop("metric", "sales"),
                            period=period, **kwargs)  # fmt: skip
    return suggest_target(data, request)


def test_higher_is_better_commit_is_the_low_quantile() -> None:
    emps, hist = peers()
    s = _suggest(build(emps, hist), "P01")
    q = s.quantiles
    assert q["0.2"] < q["0.5"] < q["0.8"]
    assert s.commit < s.target < s.stretch
    assert s.commit == pytest.approx(q["0.2"], rel=0.01)
    assert s.stretch == pytest.approx(q["0.8"], rel=0.01)


def test_lower_is_better_commit_is_the_higher_value() -> None:
    emps, hist = peers(metric=DEFECTS, base=2.0)
    s = _suggest(build(emps, hist, [DEFECTS]), "P01", metric="defects")
    assert s.direction == "lower_is_better"
    assert s.commit > s.target > s.stretch
    assert s.commit == pytest.approx(s.quantiles["0.8"], rel=0.01)
    assert s.stretch == pytest.approx(s.quantiles["0.2"], rel=0.01)
    assert all(0 <= v <= 100 for v in s.quantiles.values())  # a percentage stays a percentage


def test_rates_in_unit_interval_stay_bounded() -> None:
    rate = MetricInfo(metric="rate", unit="ratio", period_type="quarter")
    emps, hist = peers(metric=rate, base=0.9, noise=0.3)
    hist = [h.model_copy(update={"value": min(h.value, 1.0)}) for h in hist]
    s = suggest_target(build(emps, hist, [rate]), TargetRequest(employee_id="P00", metric="rate",
                                                               period="2025Q1"))  # fmt: skip
    assert s.basis.scale == "logit"
    assert all(0 <= v <= 1 for v in s.quantiles.values())


def test_other_probabilities_add_their_quantiles() -> None:
    emps, hist = peers()
    data = build(emps, hist)
    wide = _suggest(data, "P01", commit_probability=0.9, stretch_probability=0.1)
    default = _suggest(data, "P01")
    assert {"0.1", "0.2", "0.5", "0.8", "0.9"} <= wide.quantiles.keys()
    assert wide.commit == pytest.approx(wide.quantiles["0.1"], rel=0.01)
    assert wide.stretch == pytest.approx(wide.quantiles["0.9"], rel=0.01)
    assert wide.commit < default.commit and wide.stretch > default.stretch
    assert wide.target == default.target


def test_one_huge_spike_barely_moves_the_median() -> None:
    emps, hist = peers()
    steady = [100.0, 102, 99, 101, 100, 98, 101, 100, 99, 102, 100, 101]
    spiked = [*steady[:-1], 1000.0]
    base = _suggest(build([*emps, employee("X")], hist + series("X", steady)))
    spike = _suggest(build([*emps, employee("X")], hist + series("X", spiked)))
    assert spike.quantiles["0.5"] == pytest.approx(base.quantiles["0.5"], rel=0.03)
    assert spike.basis.outliers_dropped == 1
    middle = [*steady[:5], 1000.0, *steady[6:]]
    mid = _suggest(build([*emps, employee("X")], hist + series("X", middle)))
    assert mid.quantiles["0.5"] == pytest.approx(base.quantiles["0.5"], rel=0.03)


def test_missing_periods_are_tolerated() -> None:
    emps, hist = peers()
    gappy = [100.0, None, 99, None, None, 98, 101, None, 99, 102, None, 101]
    s = _suggest(build([*emps, employee("X")], hist + series("X", gappy)))
    assert s.basis.own_periods == 7
    assert 90 < s.target < 110


def test_seasonality_detected_on_seasonal_data_only() -> None:
    quarterly = (-0.15, 0.0, -0.05, 0.2)
    emps, hist = peers(seasonal=quarterly, noise=0.05)
    data = build(emps, hist)
    q4 = _suggest(data, "P01", period="2025Q4")
    q1 = _suggest(data, "P01", period="2025Q1")
    assert q4.basis.seasonality and q1.basis.seasonality
    assert q4.basis.seasonal_factor > 1.1 > 0.95 > q1.basis.seasonal_factor
    assert q4.target > q1.target * 1.2
    flat_emps, flat_hist = peers(noise=0.05)
    flat = _suggest(build(flat_emps, flat_hist), "P01", period="2025Q4")
    assert not flat.basis.seasonality
    assert flat.basis.seasonal_factor == 1.0


def test_short_history_shrinks_toward_peers() -> None:
    emps, hist = peers(base=100.0)
    one = _suggest(build([*emps, employee("X")], hist + series("X", [200.0])))
    many = _suggest(build([*emps, employee("X")], hist + series("X", [200.0] * 12)))
    assert 120 < one.target < 190  # pulled toward the peers' ~100, but not ignored
    assert 0.05 < one.basis.shrinkage_weight < 0.95
    assert many.target == pytest.approx(200, rel=0.05)
    assert one.basis.shrinkage_weight > many.basis.shrinkage_weight
    assert one.basis.peer_median == pytest.approx(100, rel=0.15)


def _ramping_org() -> tuple[list, list[HistoryPoint]]:
    """40 established reps near 100 and 24 hires whose output ramps up over a few months."""
    emps, hist = peers(n=40, base=100.0)
    rng = np.random.default_rng(3)
    for i in range(24):
        hire = date(2022 + i // 8, 1 + (i % 8), 1)
        emp = employee(f"N{i:02d}", hire_date=hire)
        emps.append(emp)
        for k, period in enumerate(QUARTERS):
            mid_months = (2022 + k // 4) * 12 + (k % 4) * 3 + 1.5
            tenure = mid_months - (hire.year * 12 + hire.month - 1)
            if tenure < 0:
                continue
            value = 100 * (1 - 0.6 * math.exp(-tenure / 4)) * math.exp(rng.normal(0, 0.05))
            hist.append(HistoryPoint(employee_id=emp.employee_id, period=period, metric="sales",
                                     value=value))  # fmt: skip
    return emps, hist


def test_cold_start_uses_peers_and_tenure() -> None:
    emps, hist = _ramping_org()
    fresh = employee("NEW", hire_date=date(2024, 12, 1))
    veteran = employee("OLD", hire_date=date(2015, 1, 1))
    data = build([*emps, fresh, veteran], hist)
    new = _suggest(data, "NEW")
    old = _suggest(data, "OLD")
    assert new.basis.own_periods == 0 and new.basis.peer_count >= 5
    assert new.basis.tenure_months == pytest.approx(2.5, abs=0.1)
    assert new.basis.ramp_factor < 0.8
    assert new.target < 0.85 * old.target
    assert old.basis.ramp_factor == pytest.approx(1.0, abs=0.01)
    assert 85 < old.target < 115


def test_longer_horizon_is_wider() -> None:
    emps, hist = peers()
    data = build(emps, hist)
    near = _suggest(data, "P01", period="2025Q1")
    far = _suggest(data, "P01", period="2025Q4")
    assert far.basis.horizon == 4
    spread = lambda s: s.quantiles["0.8"] / s.quantiles["0.2"]  # noqa: E731
    assert spread(far) > spread(near)


def test_integer_counts_round_to_whole_numbers() -> None:
    tickets = MetricInfo(metric="tickets", unit="件", period_type="month")
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    emps, hist = peers(metric=tickets, base=300, periods=months)
    hist = [h.model_copy(update={"value": float(round(h.value))}) for h in hist]
    s = suggest_target(build(emps, hist, [tickets]),
                       TargetRequest(employee_id="P03", metric="tickets", period="2025-01"))  # fmt: skip
    assert s.target == int(s.target) and s.commit == int(s.commit)


@pytest.mark.parametrize("true_q", [0.01, 0.3])
def test_walk_ratio_recovers_signal_to_noise_with_person_specific_noise(true_q: float) -> None:
    # Local level per person, common q = eta/eps, noise sd varying 2x across people.
    from coach.targets.engine import _robust_filter, _walk_ratio

    rng = np.random.default_rng(5)
    n, t = 400, 24
    scale = np.exp(rng.normal(0, 0.35, size=(n, 1)))
    eps = 0.01 * scale**2
    level = rng.normal(0, 0.2, size=(n, 1)) + np.cumsum(
        rng.normal(0, 1, size=(n, t)) * np.sqrt(true_q * eps), axis=1
    )
    x = level + rng.normal(0, 1, size=(n, t)) * np.sqrt(eps)
    v1 = float(np.mean(np.diff(x, axis=1) ** 2))
    q = _walk_ratio(x, np.zeros(n), 0.04, v1, fallback=1.0)
    assert true_q / 10**0.5 <= q <= true_q * 10**0.5
    # The filter's slope lever is the weighted age of its data: positive, below the span.
    lever = _robust_filter(x, np.zeros(n), 0.04, v1 / (2 + q), q * v1 / (2 + q)).lever
    assert np.all((lever > 0) & (lever < t))


def test_walk_ratio_is_not_pulled_down_by_one_off_spikes() -> None:
    # 2% of values multiplied by 0.35, 2.5 or 3: a Gaussian likelihood, even with capped
    # squares, reads them as a noisier and slower level and halves q.
    from coach.targets.engine import _walk_ratio

    rng = np.random.default_rng(1)
    n, t, true_q = 400, 36, 0.1
    eps = 0.01 * np.exp(rng.normal(0, 0.35, size=(n, 1))) ** 2
    level = rng.normal(0, 0.2, size=(n, 1)) + np.cumsum(
        rng.normal(0, 1, size=(n, t)) * np.sqrt(true_q * eps), axis=1
    )
    x = level + rng.normal(0, 1, size=(n, t)) * np.sqrt(eps)
    v1 = float(np.mean(np.diff(x, axis=1) ** 2))
    clean = _walk_ratio(x, np.zeros(n), 0.04, v1, fallback=1.0)
    spikes = rng.random((n, t)) < 0.02
    spiked = x + spikes * np.log(rng.choice([0.35, 2.5, 3.0], size=(n, t)))
    with_spikes = _walk_ratio(spiked, np.zeros(n), 0.04, v1, fallback=1.0)
    # Within one step of the grid (a quarter decade) of the clean estimate.
    assert clean / 10**0.25 <= with_spikes <= clean * 10**0.25
    assert true_q / 10**0.25 <= with_spikes <= true_q * 10**0.25


def test_a_period_nobody_reported_is_a_gap_not_a_warning() -> None:
    # Warnings are errors in the test run, so a warning from an empty period fails here.
    emps, hist = peers(n=6)
    hist = [h for h in hist if h.period != QUARTERS[5]]
    s = _suggest(build(emps, hist), "P01")
    assert s.quantiles["0.2"] < s.quantiles["0.5"] < s.quantiles["0.8"]


def _two_phase_role(n_each: int = 15, noise: float = 0.04) -> tuple[list, list]:
    """One role whose people peak in Q4 (ids A..) or in Q2 (ids B..), four years each."""
    quarters = [f"{2021 + k // 4}Q{k % 4 + 1}" for k in range(16)]
    patterns = {"A": (-0.15, 0.0, -0.05, 0.2), "B": (-0.05, 0.2, -0.15, 0.0)}
    rng = np.random.default_rng(3)
    emps, hist = [], []
    for prefix, pattern in patterns.items():
        for i in range(n_each):
            emp = employee(f"{prefix}{i:02d}", team=f"T{i % 3}")
            emps.append(emp)
            ability = rng.normal(0, 0.1)
            values = [100 * math.exp(ability + pattern[k % 4] + rng.normal(0, noise))
                      for k in range(16)]  # fmt: skip
            hist.extend(series(emp.employee_id, values, periods=quarters))
    return emps, hist


def test_people_keep_their_own_seasonal_pattern_when_it_differs_from_the_role() -> None:
    data = build(*_two_phase_role())
    a_q4, a_q2 = (_suggest(data, "A01", period=p) for p in ("2025Q4", "2025Q2"))
    b_q4, b_q2 = (_suggest(data, "B01", period=p) for p in ("2025Q4", "2025Q2"))
    # The role's average pattern has Q2 and Q4 equally high; each person's own does not.
    assert a_q4.target > 1.12 * a_q2.target
    assert b_q2.target > 1.12 * b_q4.target
    assert a_q4.basis.seasonal_factor > 1.1 and b_q4.basis.seasonal_factor < 1.02


def test_a_shared_pattern_adds_no_personal_seasonality() -> None:
    emps, hist = peers(seasonal=(-0.15, 0.0, -0.05, 0.2), noise=0.05,
                       periods=[f"{2021 + k // 4}Q{k % 4 + 1}" for k in range(16)])  # fmt: skip
    fit = fit_metric(build(emps, hist), "sales")
    assert not fit.own_seasons.factors.any()


def test_a_trend_that_stopped_is_not_projected_forward() -> None:
    quarters = [f"{2021 + k // 4}Q{k % 4 + 1}" for k in range(16)]
    rng = np.random.default_rng(5)
    emps, hist = [], []
    for i in range(30):
        emp = employee(f"P{i:02d}", team=f"T{i % 3}")
        emps.append(emp)
        ability = rng.normal(0, 0.1)
        # Twelve quarters of 5% growth, then a year on a plateau.
        values = [100 * math.exp(ability + 0.05 * min(k, 11) + rng.normal(0, 0.01))
                  for k in range(16)]  # fmt: skip
        hist.extend(series(emp.employee_id, values, periods=quarters))
    data = build(emps, hist)
    plateau = np.mean([p.value for p in hist if p.employee_id == "P01"][-4:])
    s = _suggest(data, "P01", period="2025Q1")
    assert 0.98 * plateau < s.target < 1.01 * plateau
    assert abs(s.basis.trend_pct) < 0.005


def test_a_steady_trend_is_still_projected() -> None:
    quarters = [f"{2021 + k // 4}Q{k % 4 + 1}" for k in range(16)]
    rng = np.random.default_rng(6)
    emps, hist = [], []
    for i in range(30):
        emp = employee(f"P{i:02d}", team=f"T{i % 3}")
        emps.append(emp)
        ability = rng.normal(0, 0.1)
        values = [100 * math.exp(ability + 0.05 * k + rng.normal(0, 0.01)) for k in range(16)]
        hist.extend(series(emp.employee_id, values, periods=quarters))
    s = _suggest(build(emps, hist), "P01", period="2025Q1")
    assert s.basis.trend_pct > 0.03


def test_peers_come_from_the_department_before_the_whole_company() -> None:
    rng = np.random.default_rng(8)
    emps, hist = [], []
    groups = [("研发部", "dev-a", 3, 1.0), ("研发部", "dev-b", 3, 1.0), ("制造部", "asm", 30, 5.0)]
    for department, role, n, base in groups:
        for i in range(n):
            emp = employee(f"{role}-{i}", role=role, team=role).model_copy(
                update={"department": department}
            )
            emps.append(emp)
            values = [base * math.exp(rng.normal(0, 0.1)) for _ in QUARTERS]
            hist.extend(series(emp.employee_id, values, metric=DEFECTS))
    fresh = employee("NEW", role="dev-a", level="L9", team="").model_copy(
        update={"department": "研发部"}
    )
    s = _suggest(build([*emps, fresh], hist, [DEFECTS]), "NEW", metric="defects")
    assert s.basis.peer_group == "department"
    assert s.target < 2.0


def test_a_count_unit_gets_whole_numbers_even_from_fractional_history() -> None:
    clients = MetricInfo(metric="clients", name="新签客户", unit="家", period_type="quarter")
    emps, hist = peers(metric=clients, base=4.9)
    s = _suggest(build(emps, hist, [clients]), "P03", metric="clients")
    assert any(h.value != round(h.value) for h in hist)
    assert s.target == int(s.target) and s.commit == int(s.commit) and s.stretch == int(s.stretch)


def test_short_history_bands_are_as_wide_as_peers_early_errors() -> None:
    rng = np.random.default_rng(9)
    emps, hist = [], []
    for i in range(60):
        # Everyone's first three quarters in a role are far noisier than later ones.
        start = int(rng.integers(0, 6))
        emp = employee(f"P{i:02d}", team=f"T{i % 4}")
        emps.append(emp)
        ability = rng.normal(0, 0.1)
        values: list[float | None] = [None] * start + [
            100 * math.exp(ability + rng.normal(0, 0.3 if k < 3 else 0.03))
            for k in range(12 - start)
        ]
        hist.extend(series(emp.employee_id, values))
    newcomer = employee("NEW", hire_date=date(2024, 7, 1))
    data = build([*emps, newcomer], hist + series("NEW", [95.0, 104.0]))
    s = _suggest(data, "NEW")
    assert s.basis.own_periods == 2
    # The third value's spread is that of a noisy early value (sd 0.3), not a later one.
    assert s.quantiles["0.8"] / s.quantiles["0.2"] > 1.45


def test_a_few_zeros_keep_a_metric_on_the_log_scale() -> None:
    rng = np.random.default_rng(10)
    emps, hist = [], []
    for i in range(30):
        emp = employee(f"P{i:02d}", team=f"T{i % 3}")
        emps.append(emp)
        size = 10 ** (3 * i / 29)  # people differ by three orders of magnitude
        values = [size * math.exp(rng.normal(0, 0.05)) for _ in QUARTERS]
        if i == 7:
            values[4] = 0.0  # one closed quarter
        hist.extend(series(emp.employee_id, values))
    s = _suggest(build(emps, hist), "P02")
    assert s.basis.scale == "log"
    # The smallest people's bands are relative to their own size, not the company's spread.
    assert s.quantiles["0.2"] > 0 and s.quantiles["0.8"] / s.quantiles["0.2"] < 1.3


def test_bands_widen_when_everyones_recent_errors_grew() -> None:
    rng = np.random.default_rng(11)
    emps, hist = [], []
    for i in range(40):
        emp = employee(f"P{i:02d}", team=f"T{i % 4}")
        emps.append(emp)
        ability = rng.normal(0, 0.1)
        # Calm for two years, then a year in which everyone's results swing twice as much.
        values = [100 * math.exp(ability + rng.normal(0, 0.04 if k < 8 else 0.08))
                  for k in range(12)]  # fmt: skip
        hist.extend(series(emp.employee_id, values))
    s = _suggest(build(emps, hist), "P01")
    # The next value's 0.2..0.8 range at sd 0.08 alone is 0.135 wide on the log scale.
    assert math.log(s.quantiles["0.8"] / s.quantiles["0.2"]) > 0.10


def test_a_small_role_borrows_the_companys_seasonal_pattern() -> None:
    quarterly = (-0.15, 0.0, -0.05, 0.2)
    emps, hist = peers(n=40, seasonal=quarterly, noise=0.05)
    rng = np.random.default_rng(3)
    for i in range(6):
        emp = employee(f"S{i}", role="small", team="TS")
        emps.append(emp)
        # Six quarters: too short for the role's own seasonal test.
        values = [80 * math.exp(quarterly[(k + 2) % 4] + rng.normal(0, 0.05)) for k in range(6)]
        hist.extend(series(emp.employee_id, values))
    data = build(emps, hist)
    q4 = _suggest(data, "S1", period="2025Q4")
    q1 = _suggest(data, "S1", period="2025Q1")
    assert q4.basis.seasonality and q1.basis.seasonality
    assert q4.basis.seasonal_factor > 1.1 > 0.95 > q1.basis.seasonal_factor


def _one_role_in_two_departments(scope: str) -> TargetSuggestion:
    rng = np.random.default_rng(5)
    emps, hist = [], []
    for department, base in (("研发部", 1.0), ("制造部", 5.0)):
        for i in range(12):
            emp = employee(f"{department}-{i}", role="engineer", team=department).model_copy(
                update={"department": department}
            )
            emps.append(emp)
            values = [base * math.exp(rng.normal(0, 0.1)) for _ in QUARTERS]
            hist.extend(series(emp.employee_id, values, metric=DEFECTS))
    fresh = employee("NEW", role="engineer", team="").model_copy(update={"department": "研发部"})
    data = TargetData.build([*emps, fresh], [DEFECTS], hist, peer_scope=scope)  # type: ignore[arg-type]
    return _suggest(data, "NEW", metric="defects")


def test_peers_stay_inside_the_department_unless_configured_otherwise() -> None:
    inside = _one_role_in_two_departments("department")
    across = _one_role_in_two_departments("role")
    assert inside.basis.peer_group == "role+level" and inside.basis.peer_count == 12
    assert inside.target < 1.5
    assert across.basis.peer_count == 24 and across.target > 1.5


def test_the_basis_says_when_a_ramp_up_applied_and_how_fast() -> None:
    emps, hist = _ramping_org()
    fresh = employee("NEW", hire_date=date(2024, 12, 1))
    data = build([*emps, fresh], hist)
    new = _suggest(data, "NEW")
    established = _suggest(data, "P01")
    assert new.basis.ramp_applied and new.basis.ramp_factor < 0.8
    assert new.basis.ramp_months is not None and 1 <= new.basis.ramp_months <= 12
    assert "ramp-up" in new.basis.method
    assert (
        new.basis.tenure_months is not None and str(round(new.basis.tenure_months)) in new.rationale
    )
    assert not established.basis.ramp_applied and established.basis.ramp_months is None
