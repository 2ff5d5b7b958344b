"""The fairness rule on a small made-up organisation: the test, the floor and the small group."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from coach.core.models import CheckIn, EmployeeAttributes
from coach.oversight.fairness import fairness, two_proportion_test
from tests.factories import employee


def _people(session: Session, group: str, count: int, vague: int) -> None:
    """`count` people of an age band, three check-ins each, `vague` of them vague."""
    for n in range(count):
        person = f"{group}-{n}"
        session.add(employee(person))
        session.flush()  # the person before the rows that refer to them
        session.add(EmployeeAttributes(employee_id=person, age_band=group))
        for month in range(3):
            session.add(
                CheckIn(
                    checkin_id=f"C-{person}-{month}",
                    employee_id=person, date=date(2026, month + 1, 10),
                    manager_feedback="反馈", feedback_check={"vague": month < vague},
                )
            )  # fmt: skip


def test_two_proportion_test_matches_the_textbook_value() -> None:
    tested = two_proportion_test(32, 44, 16, 60)
    assert tested is not None
    z, p = tested
    assert z == pytest.approx(4.656, abs=0.01) and p < 0.001
    assert two_proportion_test(0, 10, 0, 12) is None  # nobody vague: nothing to compare


def test_a_small_group_is_withheld_and_left_out_of_everyone_else(session: Session) -> None:
    _people(session, "25-34", 6, vague=3)
    _people(session, "35-44", 6, vague=0)
    _people(session, "55-64", 2, vague=3)  # if counted with the rest, the gap would shrink
    session.commit()
    report = fairness(session, attribute="age_band")
    small = next(g for g in report.groups if g.value == "55-64")
    assert small.suppressed and small.people is None and small.rates["vague_share"] is None
    [flag] = report.disparities
    assert (flag.measure, flag.value, flag.share, flag.rest_share) == (
        "vague_share",
        "25-34",
        1.0,
        0.0,
    )
    assert "0/18" in flag.message


def test_a_significant_gap_below_the_floor_is_not_flagged(session: Session) -> None:
    # 60 people a side, 3 records each: 20% vs 10% is significant (p < 0.05) but under 15 points.
    for group, vague_people in (("25-34", 36), ("35-44", 18)):
        for n in range(60):
            person = f"{group}-{n}"
            session.add(employee(person))
            session.flush()
            session.add(EmployeeAttributes(employee_id=person, age_band=group))
            for month in range(3):
                session.add(
                    CheckIn(
                        checkin_id=f"C-{person}-{month}", employee_id=person,
                        date=date(2026, month + 1, 10), manager_feedback="反馈",
                        feedback_check={"vague": n < vague_people and month == 0},
                    )
                )  # fmt: skip
    session.commit()
    report = fairness(session, attribute="age_band")
    rates = {g.value: g.rates["vague_share"] for g in report.groups}
    assert rates["25-34"] is not None and rates["25-34"].share == 0.2
    tested = two_proportion_test(36, 180, 18, 180)
    assert tested is not None and tested[1] < 0.05
    assert report.disparities == []
