"""The eval bar: F1 of the vague class on the test split, clearly above the keyword baseline."""

from __future__ import annotations

from evals.comments import evaluate


def test_test_split_meets_the_bar() -> None:
    result = evaluate()
    checker, baseline = result["checker"], result["baseline"]
    assert isinstance(checker, dict) and isinstance(baseline, dict)
    assert checker["f1"] >= 0.90
    assert checker["f1"] >= baseline["f1"] + 0.2
