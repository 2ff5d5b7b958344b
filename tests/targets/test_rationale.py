from datetime import date

import pytest

from coach.core.numbers import ungrounded_numbers
from coach.core.prompts import render
from coach.targets import TargetRequest, suggest_target
from tests.targets.helpers import DEFECTS, build, employee, peers, series
from tests.targets.test_engine import _ramping_org


def _cases():
    emps, hist = _ramping_org()
    seasonal_emps, seasonal_hist = peers(seasonal=(-0.15, 0.0, -0.05, 0.2), seed=5)
    defect_emps, defect_hist = peers(metric=DEFECTS, base=2.0, seed=6)
    spiky = [100.0, 98, 101, 100, 99, 103, 100, 101, 99, 100, 101, 900]
    return [
        (build([*emps, employee("NEW", hire_date=date(2024, 11, 1))], hist), "NEW", "sales", "2025Q1"),
        (build(emps, hist), "N20", "sales", "2025Q2"),
        (build(seasonal_emps, seasonal_hist), "P03", "sales", "2025Q4"),
        (build([*seasonal_emps, employee("X")], seasonal_hist + series("X", spiky)), "X", "sales", "2025Q1"),
        (build(defect_emps, defect_hist, [DEFECTS]), "P04", "defects", "2025Q1"),
    ]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_number_in_the_rationale_is_grounded(lang: str) -> None:
    for data, employee_id, metric, period in _cases():
        request = TargetRequest(employee_id=employee_id, metric=metric, period=period)
        s = suggest_target(data, request, lang=lang)
        assert ungrounded_numbers(s.rationale, s.rationale_numbers) == [], s.rationale
        assert period in s.rationale
        sentences = [p for p in s.rationale.replace("。", ".").split(". ") if p.strip()]
        assert 2 <= len(sentences) <= 3, s.rationale
        # The commit/target/stretch shown are the suggestion's own numbers.
        for value in (s.commit, s.target, s.stretch):
            assert value in s.rationale_numbers


def test_language_switch() -> None:
    data, employee_id, metric, period = _cases()[2]
    request = TargetRequest(employee_id=employee_id, metric=metric, period=period)
    zh = suggest_target(data, request).rationale
    en = suggest_target(data, request, lang="en").rationale
    assert "承诺值" in zh and "季节" in zh
    assert "commit" in en and "season" in en


def test_a_changed_number_is_caught() -> None:
    data, employee_id, metric, period = _cases()[2]
    s = suggest_target(data, TargetRequest(employee_id=employee_id, metric=metric, period=period))
    tampered = s.rationale.replace(f"{s.stretch:g}", f"{s.stretch * 1.5:.1f}", 1)
    assert ungrounded_numbers(tampered, s.rationale_numbers) != []


def test_rephrase_prompt_renders_with_system_part() -> None:
    prompt = render("targets/rephrase.j2", rationale="建议目标 100。", numbers=[100.0], lang="zh")
    assert "数字" in prompt.system and "建议目标 100" in prompt.user
    english = render("targets/rephrase.j2", rationale="Target 100.", numbers=[100.0], lang="en")
    assert "number" in english.system and "Target 100." in english.user
