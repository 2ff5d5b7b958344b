from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from coach.oversight.calibration import Calibration, calibration
from coach.oversight.fairness import Attribute, Fairness, fairness
from coach.oversight.themes import Themes, themes
from coach.oversight.warnings import EarlyWarnings, early_warnings

from ..deps import CurrentUser, HRUser, SessionDep, SettingsDep
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
def rating_calibration(
    session: SessionDep, _: HRUser, settings: SettingsDep, cycle: Cycle = "latest"
) -> Calibration:
    """Each manager's ratings against everyone else's: lenient, severe, central tendency."""
    scale = (settings.review_scale_min, settings.review_scale_max)
    return calibration(session, cycle=cycle, scale=scale)


@router.get("/warnings", response_model=EarlyWarnings, responses=error_responses(401, 403, 422))
def warnings(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    as_of: Annotated[dt.date | None, Query(description="As of this day; today if omitted.")] = None,
) -> EarlyWarnings:
    """Early warnings about the people you may see: managers their reports, HR everyone."""
    return early_warnings(session, user, as_of=as_of or dt.date.today(), settings=settings)


@router.get("/fairness", response_model=Fairness, responses=error_responses(401, 403, 422))
def fairness_by_group(
    session: SessionDep,
    _: HRUser,
    attribute: Annotated[Attribute, Query(description="The HR attribute to group people by.")],
    period: Annotated[
        str, Query(max_length=10, description="A cycle like 2026H1; empty for all records.")
    ] = "",
) -> Fairness:
    """Vague and critical feedback rates per group of an HR attribute, disparities flagged."""
    return fairness(session, attribute=attribute, period=period or None)


@router.get("/themes", response_model=Themes, responses=error_responses(401, 403, 422))
def recurring_themes(
    session: SessionDep,
    user: CurrentUser,
    month: Annotated[
        str, Query(max_length=7, description="A month like 2026-05; `latest` is this month.")
    ] = "latest",
) -> Themes:
    """Obstacles and support requests several people of a team raised in a month."""
    return themes(session, user, month=month)
