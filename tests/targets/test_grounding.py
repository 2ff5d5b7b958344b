"""Tests of coach.core.numbers (shared helper, owned by the targets work)."""

import pytest

from coach.core.numbers import extract_numbers, ungrounded_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("目标 1,234.5 元", [1234.5]),
        ("增长 12.5%", [12.5]),
        ("约 1.2万 件", [12000.0]),
        ("３５ 件，完成率 ９０％", [35.0, 90.0]),
        ("下降 -5% 与 +3.2%", [-5.0, 3.2]),
        ("2025Q3 的目标 120，2025-07 为 80，2025年7月 为 60", [120.0, 80.0, 60.0]),
        ("120，130 and 10-20", [120.0, 130.0, 10.0, 20.0]),
        ("no numbers here", []),
    ],
)
def test_extract_numbers(text: str, expected: list[float]) -> None:
    assert extract_numbers(text) == pytest.approx(expected)


def test_periods_can_be_kept_as_numbers() -> None:
    assert extract_numbers("2025-07", skip_periods=False) == [2025.0, 7.0]


def test_ungrounded_respects_shown_precision() -> None:
    allowed = [1234.56, 0.8, 12.345, 3, 12345.6]
    assert ungrounded_numbers("承诺 1,235，目标 1,234.6，约 1.2万", allowed) == []
    assert ungrounded_numbers("把握 80%，增长 12.3%，共 3 期", allowed) == []
    assert ungrounded_numbers("增长 12.4%", allowed) == ["12.4%"]
    assert ungrounded_numbers("额外 99 件", allowed) == ["99"]


def test_ungrounded_ignores_sign_but_not_magnitude() -> None:
    assert ungrounded_numbers("下降 5%", [-5.0]) == []
    assert ungrounded_numbers("下降 6%", [-5.0]) == ["6%"]


def test_a_multiplier_may_belong_to_the_unit() -> None:
    assert ungrounded_numbers("目标 73.0 万元", [73.0]) == []
    assert ungrounded_numbers("目标 73.0 万元", [730000.0]) == []
    assert ungrounded_numbers("目标 74.0 万元", [73.0]) == ["74.0 万"]
