"""The backtest's oracle ceiling: it must be the best forecaster on the data it models."""

from __future__ import annotations

from evals.target_data import generate
from evals.targets import CEILING, evaluate


def test_ceiling_beats_the_engine_and_is_calibrated_on_the_base_variant() -> None:
    report = evaluate(variant="base", seed=1, n_employees=200)
    total = report["table"]["TOTAL"]
    # The oracle knows strictly more than the engine; a miscoded filter loses this.
    assert total[CEILING]["total"] < total["engine"]["total"]
    assert abs(total[CEILING]["below_q0.2"] - 0.2) <= 0.05
    assert abs(total[CEILING]["below_q0.8"] - 0.8) <= 0.05
    assert report["ceiling_vs_best"] > report["improvement_vs_best"]


def test_only_the_base_variant_records_latent_values() -> None:
    base = generate(seed=2, n_employees=30, variant="base")
    shifted = generate(seed=2, n_employees=30, variant="shifted")
    assert set(base.latent) == {(p.employee_id, p.metric, p.period) for p in base.history}
    assert shifted.latent == {}
    assert evaluate(variant="shifted", seed=2, n_employees=60)["ceiling_vs_best"] is None
