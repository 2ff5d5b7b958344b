"""Target-range suggestions (commit / target / stretch) learned from history and peers."""

from coach.targets.data import TargetData
from coach.targets.engine import suggest_target, suggest_targets
from coach.targets.errors import (
    InvalidPeriod,
    InvalidProbabilities,
    NoHistory,
    NotApplicable,
    PeriodNotAfterHistory,
    TargetError,
    UnknownEmployee,
    UnknownMetric,
)
from coach.targets.models import (
    Basis,
    EmployeeInfo,
    HistoryPoint,
    MetricInfo,
    TargetRequest,
    TargetSuggestion,
)

__all__ = [
    "Basis",
    "EmployeeInfo",
    "HistoryPoint",
    "InvalidPeriod",
    "InvalidProbabilities",
    "MetricInfo",
    "NoHistory",
    "NotApplicable",
    "PeriodNotAfterHistory",
    "TargetData",
    "TargetError",
    "TargetRequest",
    "TargetSuggestion",
    "UnknownEmployee",
    "UnknownMetric",
    "suggest_target",
    "suggest_targets",
]
