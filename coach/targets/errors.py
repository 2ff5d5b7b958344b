"""Typed errors of target suggestion; each carries a stable `code` the API reports with it."""

from __future__ import annotations

from collections.abc import Iterable

from coach.core.errors import CoachError, NotFound


class TargetError(CoachError):
    """Base of every error `suggest_target` raises on purpose."""

    code = "target_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownEmployee(NotFound, TargetError):
    """The employee id is not in the data."""

    code = "unknown_employee"

    def __init__(self, employee_id: str) -> None:
        # NotFound words the message and hands it on to TargetError, next in the MRO.
        super().__init__("employee", employee_id)
        self.employee_id = employee_id


class UnknownMetric(NotFound, TargetError):
    """The metric id is not in the data."""

    code = "unknown_metric"

    def __init__(self, metric: str, known: Iterable[str] = ()) -> None:
        super().__init__("metric", metric, hint=known_list("metrics", known))
        self.metric = metric


def known_list(what: str, known: Iterable[str], cap: int = 20) -> str:
    """`known metrics: a, b, c` (at most `cap` names, then how many more), or nothing."""
    names = sorted(known)
    if not names:
        return ""
    more = f" and {len(names) - cap} more" if len(names) > cap else ""
    return f"known {what}: {', '.join(names[:cap])}{more}"


class InvalidPeriod(TargetError):
    """A period string that does not fit the metric's period type."""

    code = "invalid_period"

    def __init__(self, period: str, period_type: str, metric: str | None = None) -> None:
        example = {"annual": "2025", "quarter": "2025Q3"}.get(period_type, "2025-07")
        where = f" for metric {metric!r}" if metric else ""
        article = "an" if period_type[:1] in "aeiou" else "a"
        super().__init__(
            f"period {period!r}{where} is not {article} {period_type} period like {example}"
        )
        self.period = period
        self.period_type = period_type
        self.metric = metric


class PeriodNotAfterHistory(TargetError):
    """The requested period is not after the history the forecast starts from."""

    code = "period_not_after_history"

    def __init__(self, period: str, last_period: str, metric: str, employee_id: str) -> None:
        super().__init__(
            f"period {period!r} for metric {metric!r} of employee {employee_id!r} "
            f"is not after the last history period {last_period!r}"
        )
        self.period = period
        self.last_period = last_period
        self.metric = metric
        self.employee_id = employee_id


class NoHistory(TargetError):
    """The metric has no history at all, so there is nothing to learn from."""

    code = "no_history"

    def __init__(self, metric: str) -> None:
        super().__init__(f"metric {metric!r} has no history for any employee")
        self.metric = metric


class NotApplicable(TargetError):
    """Neither the employee nor anyone in their role has ever reported the metric."""

    code = "not_applicable"

    def __init__(self, metric: str, employee_id: str, role: str) -> None:
        super().__init__(
            f"metric {metric!r} does not apply to employee {employee_id!r}: "
            f"nobody in role {role!r} has reported it"
        )
        self.metric = metric
        self.employee_id = employee_id
        self.role = role


class InvalidProbabilities(TargetError):
    """Commit/stretch probabilities outside 0 < stretch < 0.5 < commit < 1."""

    code = "invalid_probabilities"

    def __init__(self, commit_probability: float, stretch_probability: float) -> None:
        super().__init__(
            "probabilities must satisfy 0 < stretch_probability < 0.5 < commit_probability < 1, "
            f"got commit_probability={commit_probability!r}, "
            f"stretch_probability={stretch_probability!r}"
        )
        self.commit_probability = commit_probability
        self.stretch_probability = stretch_probability
