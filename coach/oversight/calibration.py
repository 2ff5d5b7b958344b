"""Rating calibration across managers: who rates more leniently, severely or narrowly.

The unit is the person, not the score: one reviewer's dimension scores of one person move
together, so each person rated counts once, with the mean of their scores. Where the cycle's
key results carry progress, a person's score is first adjusted for their objective results
(the organisation-wide least-squares line of person mean on attainment), so a manager with a
strong team is not called lenient for rating strong results highly.

Rules, each needing `MIN_PEOPLE` people rated by the manager and as many by everyone else:
- `lenient` / `severe`: the manager's adjusted person means differ from everyone else's by
  Welch's t-test at p < `ALPHA` (two-sided) *and* by at least `MIN_DIFFERENCE` score points;
  the floor keeps a large organisation from flagging a trivial but significant difference.
- `central_tendency`: the standard deviation of the manager's scores is at most
  `MAX_SD_RATIO` of everyone else's, and the one-sided F-test of the two variances gives
  p < `ALPHA`. Scores here are all the individual scores, since bunching is about the scale.

When HR has imported potential ratings for the cycle, a nine-box places each person by
performance (their calibrated rating: the mean over reviewers of each reviewer's mean score,
less the reviewer's difference from everyone else when flagged lenient or severe) in thirds
of the score scale, and by potential (1 低, 2 中, 3 高).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence

from pydantic import BaseModel, Field
from scipy import stats  # type: ignore[import-untyped]
from sqlmodel import Session, col, select

from coach.core.cycles import CYCLE_EXAMPLES, is_cycle
from coach.core.errors import InvalidInput, NotFound
from coach.core.models import Employee, Goal, KeyResult, PotentialRating, ReviewScore

MIN_PEOPLE = 4
ALPHA = 0.05
MIN_DIFFERENCE = 0.5
MAX_SD_RATIO = 0.5
# Attainment beyond 150% says little more about performance and would dominate the line.
MAX_ATTAINMENT = 1.5

RULE = (
    f"每位经理至少评了 {MIN_PEOPLE} 人才判断；以人为单位（一人多维度取平均），有关键结果进度时先按客观达成率调整。"
    f"宽松/严格：与其他经理所评人员的 Welch t 检验 p < {ALPHA}（双侧）且平均分相差至少 {MIN_DIFFERENCE} 分。"
    f"趋中：该经理所有评分的标准差不超过其他人的 {MAX_SD_RATIO:.0%}，且单侧 F 检验 p < {ALPHA}。"
)


class ScoreSummary(BaseModel):
    n: int = Field(description="People rated (dimension scores of one person count once).")
    scores: int = Field(description="Individual dimension scores.")
    mean: float | None = Field(description="Mean of the people's mean scores; None if none.")
    sd: float | None = Field(description="Sample standard deviation of the individual scores.")
    distribution: dict[str, int] = Field(description="How many scores fall in each whole point.")


class ManagerCalibration(ScoreSummary):
    manager_id: str
    name: str
    adjusted_mean: float | None = Field(description="Mean after adjusting for attainment.")
    difference: float | None = Field(
        description="Adjusted mean minus everyone else's; None below the minimum n."
    )
    t: float | None
    p: float | None = Field(description="Welch's two-sided p for the difference.")
    sd_ratio: float | None = Field(description="This manager's score sd over everyone else's.")
    variance_p: float | None = Field(description="One-sided F-test p for a narrower spread.")
    flags: list[str] = Field(description="`lenient`, `severe`, `central_tendency`.")
    reasons: list[str] = Field(description="Why each flag, or why nothing could be judged.")


class DimensionDistribution(ScoreSummary):
    dimension: str


BOX_NAMES: dict[tuple[int, int], str] = {
    (3, 3): "明星", (2, 3): "潜力之星", (1, 3): "待发挥的潜力",
    (3, 2): "绩效骨干", (2, 2): "中坚力量", (1, 2): "需要提升",
    (3, 1): "专业能手", (2, 1): "稳定贡献者", (1, 1): "需要关注",
}  # fmt: skip
LEVEL_NAMES = {1: "低", 2: "中", 3: "高"}


class BoxPerson(BaseModel):
    employee_id: str
    name: str
    performance: float = Field(description="The calibrated rating.")


class NineBoxCell(BaseModel):
    performance: int = Field(description="1 低, 2 中, 3 高: the third of the score scale.")
    potential: int = Field(description="1 低, 2 中, 3 高, as HR imported it.")
    label: str
    people: list[BoxPerson]


class NineBox(BaseModel):
    rule: str
    cells: list[NineBoxCell] = Field(description="All nine, high potential first.")
    without_rating: int = Field(description="People with a potential but no score this cycle.")
    without_potential: int = Field(description="People rated this cycle with no potential.")


class Calibration(BaseModel):
    cycle: str
    rule: str
    min_people: int
    adjusted_for_results: bool = Field(
        description="Whether scores were adjusted for key-result attainment."
    )
    slope: float | None = Field(description="Score points per 100% attainment, org-wide.")
    organisation: ScoreSummary
    managers: list[ManagerCalibration]
    dimensions: list[DimensionDistribution]
    nine_box: NineBox | None = Field(
        default=None, description="Performance × potential; only with potential imported."
    )


def _bin(score: float) -> str:
    # Whole points, rounded half up: on a 1–5 scale a 3.3 and a 3.4 are both a three.
    return f"{math.floor(score + 0.5):d}"


def _summary(people: Collection[list[float]]) -> ScoreSummary:
    """Summary of groups of scores, one group per person rated."""
    scores = [s for v in people for s in v]
    means = [statistics.fmean(v) for v in people]
    return ScoreSummary(
        n=len(people),
        scores=len(scores),
        mean=round(statistics.fmean(means), 3) if means else None,
        sd=round(statistics.stdev(scores), 3) if len(scores) >= 2 else None,
        distribution=dict(sorted(Counter(_bin(s) for s in scores).items())),
    )


def _attainment(session: Session, cycle: str) -> dict[str, float]:
    """Per person, the mean share of the way from baseline to target of the cycle's KRs."""
    rows = session.exec(
        select(Goal.employee_id, KeyResult)
        .join(KeyResult, col(KeyResult.goal_id) == col(Goal.goal_id))
        .where(col(Goal.cycle) == cycle)
    ).all()
    shares: dict[str, list[float]] = defaultdict(list)
    for employee_id, kr in rows:
        if kr.target == kr.baseline:
            continue
        share = (kr.current - kr.baseline) / (kr.target - kr.baseline)
        shares[employee_id].append(min(MAX_ATTAINMENT, max(0.0, share)))
    return {e: statistics.fmean(v) for e, v in shares.items()}


def _slope(
    means: dict[tuple[str, str], float], attainment: dict[tuple[str, str], float]
) -> float | None:
    if len(means) < 2 * MIN_PEOPLE or len(set(attainment.values())) < 2:
        return None
    keys = sorted(means)
    line = statistics.linear_regression([attainment[k] for k in keys], [means[k] for k in keys])
    return line.slope


def _welch(mine: Sequence[float], rest: Sequence[float]) -> tuple[float, float]:
    """Welch's t and two-sided p; written out because a team rated all alike has no variance."""
    a, b = statistics.variance(mine) / len(mine), statistics.variance(rest) / len(rest)
    difference = statistics.fmean(mine) - statistics.fmean(rest)
    if a + b == 0:
        return (math.copysign(math.inf, difference) if difference else 0.0), float(difference == 0)
    t = difference / math.sqrt(a + b)
    df = (a + b) ** 2 / (a**2 / (len(mine) - 1) + b**2 / (len(rest) - 1))
    return t, float(2 * stats.t.sf(abs(t), df))


def _narrower(mine: Sequence[float], rest: Sequence[float]) -> tuple[float | None, float | None]:
    sd_mine, sd_rest = statistics.stdev(mine), statistics.stdev(rest)
    if sd_rest == 0:
        return None, None
    ratio = sd_mine / sd_rest
    if sd_mine == 0:
        return 0.0, 0.0
    p = float(stats.f.cdf(ratio**2, len(mine) - 1, len(rest) - 1))
    return round(ratio, 3), p


Rated = dict[str, dict[str, list[float]]]  # reviewer → person → their dimension scores


def _judge(
    manager_id: str, name: str, people: Rated, adjusted: dict[tuple[str, str], float]
) -> ManagerCalibration:
    mine = people[manager_id]
    others = [(m, e) for m, rated in people.items() if m != manager_id for e in rated]
    summary = _summary(mine.values())
    mine_adjusted = [adjusted[manager_id, e] for e in mine]
    result = ManagerCalibration(
        manager_id=manager_id, name=name, **summary.model_dump(),
        adjusted_mean=round(statistics.fmean(mine_adjusted), 3), difference=None, t=None,
        p=None, sd_ratio=None, variance_p=None, flags=[], reasons=[],
    )  # fmt: skip
    if len(mine) < MIN_PEOPLE or len(others) < MIN_PEOPLE:
        result.reasons.append(
            f"评了 {len(mine)} 人，其他经理共评了 {len(others)} 人，少于 {MIN_PEOPLE} 人不作判断。"
        )
        return result
    rest_adjusted = [adjusted[key] for key in others]
    difference = statistics.fmean(mine_adjusted) - statistics.fmean(rest_adjusted)
    t, p = _welch(mine_adjusted, rest_adjusted)
    result.difference, result.t, result.p = round(difference, 3), round(t, 3), round(p, 4)
    if p < ALPHA and abs(difference) >= MIN_DIFFERENCE:
        flag, word = ("lenient", "高") if difference > 0 else ("severe", "低")
        result.flags.append(flag)
        result.reasons.append(
            f"调整后平均分比其他经理所评人员{word} {abs(difference):.2f} 分"
            f"（Welch t={t:.2f}，p={p:.3f}）。"
        )
    scores = [s for v in mine.values() for s in v]
    rest_scores = [s for m, e in others for s in people[m][e]]
    ratio, variance_p = _narrower(scores, rest_scores)
    result.sd_ratio = ratio
    result.variance_p = round(variance_p, 4) if variance_p is not None else None
    narrow = ratio is not None and ratio <= MAX_SD_RATIO
    if narrow and variance_p is not None and variance_p < ALPHA:
        result.flags.append("central_tendency")
        result.reasons.append(
            f"评分标准差只有其他经理的 {ratio:.0%}（F 检验 p={variance_p:.3f}），分数挤在中间。"
        )
    return result


def _adjusted(
    people: Rated, attainment: dict[str, float]
) -> tuple[dict[tuple[str, str], float], float | None]:
    """Each (reviewer, person) mean score net of the person's attainment, and the slope used."""
    means = {(m, e): statistics.fmean(s) for m, rated in people.items() for e, s in rated.items()}
    measured = {key: attainment[key[1]] for key in means if key[1] in attainment}
    slope = _slope({k: means[k] for k in measured}, measured)
    if slope is None:
        return means, None
    centre = statistics.fmean(measured.values())
    return {
        key: mean - slope * (measured[key] - centre) if key in measured else mean
        for key, mean in means.items()
    }, slope


def _calibrated(people: Rated, managers: list[ManagerCalibration]) -> dict[str, float]:
    """Each person's rating with the leniency or severity of a flagged reviewer taken out."""
    offset = {
        m.manager_id: m.difference or 0.0 for m in managers if {"lenient", "severe"} & set(m.flags)
    }
    means: dict[str, list[float]] = defaultdict(list)
    for reviewer, rated in people.items():
        for person, scores in rated.items():
            means[person].append(statistics.fmean(scores) - offset.get(reviewer, 0.0))
    return {person: statistics.fmean(values) for person, values in means.items()}


def _third(value: float, low: float, high: float) -> int:
    if high <= low:
        return 2
    return max(1, min(3, 1 + int(3 * (value - low) / (high - low))))


def _nine_box(
    potential: dict[str, int], performance: dict[str, float], names: dict[str, str],
    scale: tuple[float, float],
) -> NineBox:  # fmt: skip
    low, high = scale
    step = (high - low) / 3
    cells = {
        key: NineBoxCell(performance=key[0], potential=key[1], label=label, people=[])
        for key, label in BOX_NAMES.items()
    }
    for person in sorted(set(potential) & set(performance)):
        score = performance[person]
        cells[_third(score, low, high), potential[person]].people.append(
            BoxPerson(
                employee_id=person, name=names.get(person, person), performance=round(score, 2)
            )
        )
    rule = (
        f"绩效 = 校准后的评分：各评分人所给平均分的平均，评分人被判为宽松或严格时先减去其与其他人的差值；"
        f"按评分量表三等分：低 < {low + step:.2f} ≤ 中 < {low + 2 * step:.2f} ≤ 高。潜力 = HR 导入的潜力评级。"
    )
    return NineBox(
        rule=rule,
        cells=sorted(cells.values(), key=lambda c: (-c.potential, c.performance)),
        without_rating=len(set(potential) - set(performance)),
        without_potential=len(set(performance) - set(potential)),
    )


def latest_review_cycle(session: Session) -> str | None:
    """The newest cycle that has review scores; None before any are imported."""
    cycles = set(session.exec(select(ReviewScore.cycle).distinct()).all())
    return max(cycles, key=lambda c: (c[:4], c[4:] or "Z")) if cycles else None


def calibration(
    session: Session, *, cycle: str, scale: tuple[float, float] = (1.0, 5.0)
) -> Calibration:
    """Each manager's ratings of a cycle against everyone else's, with flags and reasons."""
    if cycle == "latest":
        newest = latest_review_cycle(session)
        if newest is None:
            raise NotFound("review cycle", "latest")
        cycle = newest
    elif not is_cycle(cycle):
        raise InvalidInput("cycle", f"{cycle!r} is not a cycle like {CYCLE_EXAMPLES}")
    employees = {e.employee_id: e for e in session.exec(select(Employee)).all()}
    rows = session.exec(select(ReviewScore).where(col(ReviewScore.cycle) == cycle)).all()
    people: Rated = defaultdict(lambda: defaultdict(list))
    by_dimension: Rated = defaultdict(lambda: defaultdict(list))
    for row in rows:
        subject = employees.get(row.employee_id)
        reviewer = row.reviewer_id or (subject.manager_id if subject else None)
        if reviewer:  # a score nobody is known to have given calibrates no one
            people[reviewer][row.employee_id].append(row.score)
            by_dimension[row.dimension][row.employee_id].append(row.score)
    adjusted, slope = _adjusted(people, _attainment(session, cycle))
    managers = [
        _judge(m, employees[m].name if m in employees else m, people, adjusted)
        for m in sorted(people)
    ]
    everyone = {(m, e): s for m, rated in people.items() for e, s in rated.items()}
    potential = dict(
        session.exec(
            select(PotentialRating.employee_id, PotentialRating.potential).where(
                col(PotentialRating.cycle) == cycle
            )
        ).all()
    )
    names = {e: p.name for e, p in employees.items()}
    return Calibration(
        cycle=cycle,
        rule=RULE,
        min_people=MIN_PEOPLE,
        adjusted_for_results=slope is not None,
        slope=round(slope, 3) if slope is not None else None,
        organisation=_summary(everyone.values()),
        managers=managers,
        dimensions=[
            DimensionDistribution(dimension=d, **_summary(rated.values()).model_dump())
            for d, rated in sorted(by_dimension.items())
        ],
        nine_box=_nine_box(potential, _calibrated(people, managers), names, scale)
        if potential
        else None,
    )
