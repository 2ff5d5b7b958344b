"""The three required parts of a check-in dialogue, rule by rule."""

from __future__ import annotations

import pytest

from coach.quality.parts import has_improvement, has_positive_point, has_resource_need


@pytest.mark.parametrize(
    ("text", "positive"),
    [
        ("做得好,继续保持。", False),  # praise without anything concrete
        ("感谢你周三加班把华润的报表赶出来,客户很满意。", True),
        ("接口文档更新不及时。", False),  # negated cue
        ("Well done on the March release: zero rollbacks.", True),
        ("good job", False),
    ],
)
def test_positive_point_needs_a_concrete_praise(text: str, positive: bool) -> None:
    assert has_positive_point(text) is positive


@pytest.mark.parametrize(
    ("text", "improvement"),
    [
        ("建议加强。", False),
        ("下次提交前先跑一遍回归清单。", True),
        ("需要改进。", False),
        ("Next time, share the agenda a day before the meeting.", True),
        ("希望再接再厉。", False),
    ],
)
def test_improvement_needs_something_to_do(text: str, improvement: bool) -> None:
    assert has_improvement(text) is improvement


@pytest.mark.parametrize(
    ("support", "other", "resource"),
    [("无", "", False), ("", "", False), ("需要一次产品培训", "", True), ("-", "希望公司能安排跨部门协调", True),
     ("none", "I will arrange a mentor for you", True), ("暂无", "同意。", False)],
)  # fmt: skip
def test_resource_need_must_mean_something(support: str, other: str, resource: bool) -> None:
    assert has_resource_need(support, other) is resource
