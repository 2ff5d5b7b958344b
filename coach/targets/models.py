"""Inputs and outputs of target suggestion as Pydantic models."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel._compat import SQLModelConfig

from coach.core.models import EmployeeBase
from coach.core.units import UnitKind, unit_kind_for

Direction = Literal["higher_is_better", "lower_is_better"]
PeriodTypeName = Literal["annual", "quarter", "month"]
# Where peers are sought: the person's department first (the default), a role across
# departments, or the whole company without narrowing to a department.
PeerScope = Literal["department", "role", "company"]


# from_attributes lets the service layer pass ORM rows straight in.
_IN_CONFIG = SQLModelConfig(from_attributes=True, frozen=True, extra="ignore")


class _In(BaseModel):
    model_config = _IN_CONFIG


class EmployeeInfo(EmployeeBase):
    """The organisational facts about an employee that the forecast uses."""

    model_config = _IN_CONFIG


class MetricInfo(_In):
    """A metric's definition."""

    metric: str
    name: str = ""
    unit: str = ""
    direction: Direction = "higher_is_better"
    period_type: PeriodTypeName = "quarter"
    unit_kind: UnitKind = Field(
        default=UnitKind.unspecified, description="Guessed from `unit` when not given."
    )

    @model_validator(mode="before")
    @classmethod
    def _kind_from_unit(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("unit_kind") in (None, ""):
            return {**data, "unit_kind": unit_kind_for(str(data.get("unit") or ""))}
        return data


class HistoryPoint(_In):
    """One observed value of a metric for an employee in a period."""

    employee_id: str
    period: str
    metric: str
    value: float

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("value must be finite")
        return value


class TargetRequest(BaseModel):
    """Ask for a commit/target/stretch range of one employee's metric in one period."""

    employee_id: str
    metric: str
    period: str
    commit_probability: float = Field(
        default=0.8, description="Probability of reaching the commit level (above 0.5)."
    )
    stretch_probability: float = Field(
        default=0.2, description="Probability of reaching the stretch level (below 0.5)."
    )


class Basis(BaseModel):
    """The statistics a suggestion rests on, in the metric's own units unless named otherwise."""

    own_periods: int = Field(description="Periods of own history used.")
    peer_count: int = Field(description="Peers in the chosen comparison group.")
    peer_group: Literal["team", "role+level", "role", "department", "all"] = Field(
        description=(
            "Finest peer group with enough members; 'team' means that group plus a team "
            "effect that carries at least half weight."
        )
    )
    method: str = Field(description="Short name of the model that produced the numbers.")
    scale: Literal["log", "logit", "additive"] = Field(description="Scale the model works on.")
    seasonality: bool = Field(description="Whether a seasonal pattern was detected and used.")
    seasonal_factor: float = Field(description="Target with season / target without (1 = none).")
    trend: float = Field(description="Expected change per period near the target, in units.")
    trend_pct: float = Field(description="The trend as a share of the target level.")
    horizon: int = Field(description="Periods from the last data period to the target period.")
    tenure_months: float | None = Field(description="Months since hire at the target period.")
    ramp_factor: float = Field(
        description="Expected level at this tenure / fully ramped (1 = none)."
    )
    ramp_applied: bool = Field(
        default=False, description="Whether a ramp-up for the person's tenure moved the target."
    )
    ramp_months: float | None = Field(
        default=None, description="The ramp-up's time constant in months, when one applied."
    )
    outliers_dropped: int = Field(description="Own observations down-weighted as one-off outliers.")
    last_value: float | None = None
    last_period: str | None = None
    own_median: float | None = None
    peer_median: float | None = Field(description="Median of peers' latest values.")
    shrinkage_weight: float = Field(description="Weight of the peer prior in the level (0..1).")
    predictive_sd: float = Field(description="Predictive standard deviation on the model scale.")


class TargetSuggestion(BaseModel):
    """A commit/target/stretch range with its quantiles, basis and a grounded rationale."""

    employee_id: str
    metric: str
    period: str
    quantiles: dict[str, float]
    commit: float
    target: float
    stretch: float
    commit_probability: float
    stretch_probability: float
    unit: str
    direction: Direction
    basis: Basis
    rationale: str
    rationale_numbers: list[float]
    integer_valued: bool = Field(
        default=False, description="Whether the metric counts whole things (levels are whole)."
    )
