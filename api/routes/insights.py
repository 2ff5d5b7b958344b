from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from coach.oversight.calibration import Calibration, calibration

from ..deps import HRUser, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/v1/insights", tags=["insights"])

Cycle = Annotated[
    str,
    Query(
        max_length=10,
        examples=["2026H1"],
        description="A review cycle like 2026H1; `latest` is the newest with scores.",
    ),
]


@router.get(
    "/calibration", response_model=Calibration, responses=error_responses(401, 403, 404, 422)
)
def rating_calibration(session: SessionDep, _: HRUser, cycle: Cycle = "latest") -> Calibration:
    """Each manager's ratings against everyone else's: lenient, severe, central tendency."""
    return calibration(session, cycle=cycle)
