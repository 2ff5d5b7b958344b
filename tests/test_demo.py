from __future__ import annotations

import statistics
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import Employee, MetricValue
from coach.demo import DemoTokens

FIRST, A_YEAR_LATER = "2024Q3", "2025Q3"


def test_long_tenured_people_start_the_demo_history_at_full_strength(
    engine: Engine, demo: DemoTokens
) -> None:
    with Session(engine) as session:
        veterans = {
            e.employee_id for e in session.exec(select(Employee)) if e.hire_date < date(2024, 1, 1)
        }
        values = {
            (v.employee_id, v.period): v.value
            for v in session.exec(select(MetricValue).where(MetricValue.metric == "revenue"))
        }
    ratios = [
        values[(e, FIRST)] / values[(e, A_YEAR_LATER)]
        for e in veterans
        if (e, FIRST) in values and (e, A_YEAR_LATER) in values
    ]
    assert len(ratios) >= 4
    # The same season a year apart: a ramp-up would halve the first value.
    assert statistics.median(ratios) > 0.8
