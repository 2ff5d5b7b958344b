"""Calibration rules on a small, hand-made set of ratings, where each verdict is known."""

from __future__ import annotations

from sqlmodel import Session

from coach.core.models import ReviewScore
from coach.oversight.calibration import calibration
from tests.factories import employee

DIMENSIONS = ("业绩结果", "专业能力")
# Five people per manager, two dimension scores each; every team's mean is 3.
SPREAD = ((1, 2), (2, 3), (3, 3), (4, 3), (5, 4))
MIDDLE = ((3, 3), (3, 3), (3, 3), (3, 3), (3, 3))


def _team(session: Session, manager: str, scores: tuple[tuple[int, int], ...]) -> None:
    session.add(employee(manager, f"经理{manager}"))
    for n, pair in enumerate(scores):
        person = f"{manager}-{n}"
        session.add(employee(person, f"员工{person}", manager_id=manager))
        session.flush()
        for dimension, score in zip(DIMENSIONS, pair, strict=True):
            session.add(ReviewScore(employee_id=person, cycle="2026H1", dimension=dimension,
                                    score=score, reviewer_id=manager))  # fmt: skip
    session.flush()


def test_a_manager_who_rates_everyone_in_the_middle_shows_central_tendency(
    session: Session,
) -> None:
    for manager in ("X1", "X2", "X3"):
        _team(session, manager, SPREAD)
    _team(session, "C1", MIDDLE)
    report = calibration(session, cycle="2026H1")
    flags = {m.manager_id: m.flags for m in report.managers}
    assert flags == {"X1": [], "X2": [], "X3": [], "C1": ["central_tendency"]}
    middle = next(m for m in report.managers if m.manager_id == "C1")
    assert middle.sd_ratio == 0.0 and middle.difference == 0.0
    assert "标准差" in middle.reasons[0]
    assert middle.distribution == {"3": 10}
    assert not report.adjusted_for_results  # no key results: nothing to adjust for


def test_a_severe_manager_is_flagged_severe(session: Session) -> None:
    for manager in ("X1", "X2", "X3"):
        _team(session, manager, SPREAD)
    _team(session, "S1", tuple((max(1, a - 2), max(1, b - 2)) for a, b in SPREAD))
    flags = {m.manager_id: m.flags for m in calibration(session, cycle="2026H1").managers}
    assert flags == {"X1": [], "X2": [], "X3": [], "S1": ["severe"]}
