"""Fairness monitoring: how feedback and reviews differ between groups of an HR attribute.

Three rates per group, each over records about the group's people:
- `vague_share`: check-ins whose manager feedback the vague-comment check judged vague;
- `critical_share`: check-ins whose manager feedback is critical (`has_criticism`: it names a
  shortfall or asks for a change, an improvement suggestion included);
- `critical_review_share`: reviews (one person's comments in one cycle, all dimensions and
  reviewers together) with at least one critical comment.

A group of fewer than `MIN_GROUP` people is shown as n/a, counts and all, since its figures
would describe nearly named people; its records are left out of "everyone else" as well, or
subtracting the shown groups from a comparison would give them back. A group is
flagged on a rate when it is higher than everyone else's by a two-proportion z-test at
p < `ALPHA` (two-sided, pooled) *and* by at least `MIN_GAP`, with `MIN_RECORDS` records on each
side: the floor keeps a large company from flagging a trivial gap. Only the higher side is
flagged, since being judged vaguer or more critically is the harm the research describes.
A flag is a signal to examine, not a verdict.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from scipy import stats  # type: ignore[import-untyped]
from sqlmodel import Session, col, select

from coach.core.cycles import CYCLE_EXAMPLES, cycle_span
from coach.core.errors import InvalidInput
from coach.core.models import CheckIn, EmployeeAttributes, ReviewScore
from coach.quality.parts import has_criticism

Attribute = Literal["gender", "age_band"]
Measure = Literal["vague_share", "critical_share", "critical_review_share"]
ATTRIBUTES: tuple[Attribute, ...] = ("gender", "age_band")
ATTRIBUTE_NAMES: dict[str, str] = {"gender": "性别", "age_band": "年龄段"}

MIN_GROUP = 5
MIN_RECORDS = 10
ALPHA = 0.05
MIN_GAP = 0.15

DEFINITIONS: dict[str, str] = {
    "vague_share": "空泛反馈占比：该组员工的面谈记录中，经理反馈被空泛检测判定为空泛的比例（分母：有经理反馈的面谈）。",
    "critical_share": (
        "批评性反馈占比（面谈）：经理反馈指出不足或要求改变（如“不够”“有待提高”“要再……”，或一条改进建议）的面谈比例。"
    ),
    "critical_review_share": (
        "批评性评语占比（考评）：一人一个周期的全部评语算一份考评，其中至少一条评语指出不足或要求改变的比例。"
    ),
    "min_group": (
        f"人数少于 {MIN_GROUP} 人的组显示 n/a：数字几乎能对应到具体的人，为保护隐私不显示；"
        "其记录也不计入比较里的“其他人”，以免用相减的办法算出来。"
    ),
}
RULE = (
    f"每组与其他所有人比较：两比例 z 检验（合并方差）双侧 p < {ALPHA}，且比其他人高至少 "
    f"{MIN_GAP:.0%}（百分点），两边各至少 {MIN_RECORDS} 条记录才检验。只标记偏高的一方。"
    "这是值得核查的信号，不是结论：差异可能来自岗位、任期或团队构成，需要结合具体记录判断。"
)
MEASURE_NAMES: dict[str, str] = {
    "vague_share": "空泛反馈占比",
    "critical_share": "批评性反馈占比（面谈）",
    "critical_review_share": "批评性评语占比（考评）",
}


class Rate(BaseModel):
    count: int = Field(description="Records with the property.")
    total: int = Field(description="Records measured.")
    share: float | None = Field(description="count / total; None when there is none.")


class GroupFigures(BaseModel):
    value: str = Field(description="The attribute's value, e.g. 女 or 25-34.")
    suppressed: bool = Field(description=f"Fewer than {MIN_GROUP} people: figures withheld.")
    people: int | None
    rates: dict[str, Rate | None] = Field(description="Per measure; None when suppressed.")


class Disparity(BaseModel):
    measure: Measure
    value: str
    share: float
    rest_share: float
    gap: float = Field(description="The group's share minus everyone else's.")
    z: float
    p: float
    message: str


class Fairness(BaseModel):
    attribute: Attribute
    period: str | None = Field(description="A cycle, or None for all records.")
    rule: str
    definitions: dict[str, str]
    min_group: int
    people_without_value: int = Field(description="People with no value for the attribute.")
    groups: list[GroupFigures]
    disparities: list[Disparity]


@dataclass
class _Tally:
    """Per person, the records measured and how many had the property, for one measure."""

    total: dict[str, int]
    count: dict[str, int]

    def rate(self, people: Iterable[str]) -> Rate:
        ids = list(people)
        total = sum(self.total.get(p, 0) for p in ids)
        count = sum(self.count.get(p, 0) for p in ids)
        return Rate(count=count, total=total, share=round(count / total, 4) if total else None)


def _tally(items: Iterable[tuple[str, bool]]) -> _Tally:
    tally = _Tally(defaultdict(int), defaultdict(int))
    for person, has in items:
        tally.total[person] += 1
        tally.count[person] += has
    return tally


def _checkins(session: Session, people: list[str], period: str | None) -> list[CheckIn]:
    query = select(CheckIn).where(col(CheckIn.employee_id).in_(people))
    span = cycle_span(period) if period else None
    if span:
        query = query.where(col(CheckIn.date) >= span[0], col(CheckIn.date) <= span[1])
    return [c for c in session.exec(query).all() if c.manager_feedback.strip() and c.feedback_check]


def _reviews(session: Session, people: list[str], period: str | None) -> list[tuple[str, bool]]:
    query = select(ReviewScore).where(col(ReviewScore.employee_id).in_(people))
    if period:
        query = query.where(col(ReviewScore.cycle) == period)
    comments: dict[tuple[str, str], list[str]] = defaultdict(list)
    for score in session.exec(query).all():
        if score.comment.strip():
            comments[score.employee_id, score.cycle].append(score.comment)
    return [(e, any(has_criticism(c) for c in texts)) for (e, _), texts in comments.items()]


def _measures(session: Session, people: list[str], period: str | None) -> dict[Measure, _Tally]:
    checkins = _checkins(session, people, period)
    return {
        "vague_share": _tally(
            (c.employee_id, (c.feedback_check or {}).get("vague") is True) for c in checkins
        ),
        "critical_share": _tally(
            (c.employee_id, has_criticism(c.manager_feedback)) for c in checkins
        ),
        "critical_review_share": _tally(_reviews(session, people, period)),
    }


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """Pooled two-proportion z and its two-sided p; None when the pooled rate is 0 or 1."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x1 / n1 - x2 / n2) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def _p_text(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _disparity(measure: Measure, value: str, mine: Rate, rest: Rate) -> Disparity | None:
    if mine.total < MIN_RECORDS or rest.total < MIN_RECORDS:
        return None
    tested = two_proportion_test(mine.count, mine.total, rest.count, rest.total)
    if tested is None:
        return None
    z, p = tested
    share, rest_share = mine.count / mine.total, rest.count / rest.total
    gap = share - rest_share
    if p >= ALPHA or gap < MIN_GAP:
        return None
    return Disparity(
        measure=measure, value=value, share=round(share, 4), rest_share=round(rest_share, 4),
        gap=round(gap, 4), z=round(z, 3), p=round(p, 4),
        message=f"「{value}」组的{MEASURE_NAMES[measure]}为 {share:.0%}（{mine.count}/{mine.total}），"
        f"其他人为 {rest_share:.0%}（{rest.count}/{rest.total}），高 {gap * 100:.0f} 个百分点"
        f"（z={z:.2f}，{_p_text(p)}）。请结合具体记录核查。",
    )  # fmt: skip


def _groups(session: Session, attribute: Attribute) -> tuple[dict[str, list[str]], int]:
    """People by the attribute's value, and how many have none."""
    by_value: dict[str, list[str]] = defaultdict(list)
    missing = 0
    for row in session.exec(select(EmployeeAttributes)).all():
        value: str | None = getattr(row, attribute)
        if value:
            by_value[value].append(row.employee_id)
        else:
            missing += 1
    return dict(sorted(by_value.items())), missing


def fairness(session: Session, *, attribute: str, period: str | None = None) -> Fairness:
    """Each group's vague and critical feedback rates against everyone else's, with flags."""
    if attribute not in ATTRIBUTES:
        raise InvalidInput("attribute", f"{attribute!r} is not one of {', '.join(ATTRIBUTES)}")
    if period and cycle_span(period) is None:
        raise InvalidInput("period", f"{period!r} is not a cycle like {CYCLE_EXAMPLES}")
    chosen: Attribute = attribute  # type: ignore[assignment]
    groups, missing = _groups(session, chosen)
    shown = [p for ids in groups.values() if len(ids) >= MIN_GROUP for p in ids]
    tallies = _measures(session, shown, period or None)
    figures, disparities = [], []
    for value, ids in groups.items():
        suppressed = len(ids) < MIN_GROUP
        mine = set(ids)
        rest = [p for p in shown if p not in mine]
        rates: dict[str, Rate | None] = {}
        for measure, tally in tallies.items():
            rates[measure] = None if suppressed else tally.rate(ids)
            if not suppressed:
                found = _disparity(measure, value, tally.rate(ids), tally.rate(rest))
                disparities += [found] if found else []
        figures.append(
            GroupFigures(
                value=value, suppressed=suppressed, people=None if suppressed else len(ids),
                rates=rates,
            )
        )  # fmt: skip
    return Fairness(
        attribute=chosen, period=period or None, rule=RULE, definitions=DEFINITIONS,
        min_group=MIN_GROUP, people_without_value=missing, groups=figures,
        disparities=disparities,
    )  # fmt: skip
