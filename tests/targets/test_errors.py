import pytest

from api.errors import status_for
from coach.targets import (
    HistoryPoint,
    InvalidPeriod,
    InvalidProbabilities,
    MetricInfo,
    NoHistory,
    NotApplicable,
    PeriodNotAfterHistory,
    TargetError,
    TargetRequest,
    TargetSuggestion,
    UnknownEmployee,
    UnknownMetric,
    suggest_target,
    suggest_targets,
)
from tests.targets.helpers import SALES, build, employee, peers, series

EMPTY = MetricInfo(metric="nps", unit="", period_type="month")


@pytest.fixture
def data():
    emps, hist = peers(n=10)
    return build([*emps, employee("NEW"), employee("GAP")], hist + series("GAP", [100.0, None, None]),
                 [SALES, EMPTY])  # fmt: skip


@pytest.mark.parametrize(
    ("request_kwargs", "error", "code", "status", "named"),
    [
        ({"employee_id": "NOPE"}, UnknownEmployee, "unknown_employee", 404, "NOPE"),
        ({"metric": "revenue"}, UnknownMetric, "unknown_metric", 404, "revenue"),
        ({"period": "2025-01"}, InvalidPeriod, "invalid_period", 422, "2025-01"),
        ({"period": "2024Q4"}, PeriodNotAfterHistory, "period_not_after_history", 422, "2024Q4"),
        ({"employee_id": "NEW", "period": "2024Q3"}, PeriodNotAfterHistory,
         "period_not_after_history", 422, "2024Q4"),
        ({"metric": "nps", "period": "2025-01"}, NoHistory, "no_history", 422, "nps"),
        ({"commit_probability": 0.4}, InvalidProbabilities, "invalid_probabilities", 422, "0.4"),
        ({"stretch_probability": 0.6}, InvalidProbabilities, "invalid_probabilities", 422, "0.6"),
        ({"commit_probability": 1.0}, InvalidProbabilities, "invalid_probabilities", 422, "1.0"),
    ],
)  # fmt: skip
def test_typed_errors(data, request_kwargs, error, code, status, named) -> None:
    fields = {"employee_id": "P01", "metric": "sales", "period": "2025Q1"} | request_kwargs
    with pytest.raises(error) as info:
        suggest_target(data, TargetRequest(**fields))
    assert isinstance(info.value, TargetError)
    assert info.value.code == code and status_for(info.value) == status
    assert named in str(info.value)


def test_gap_employee_may_target_a_period_after_own_history(data) -> None:
    # GAP's own history ends in 2024Q2; the rule is "after the employee's own last period".
    s = suggest_target(data, TargetRequest(employee_id="GAP", metric="sales", period="2024Q3"))
    assert s.basis.last_period == "2024Q2"


def test_batch_returns_errors_in_place(data) -> None:
    requests = [
        TargetRequest(employee_id="P01", metric="sales", period="2025Q1"),
        TargetRequest(employee_id="NOPE", metric="sales", period="2025Q1"),
        TargetRequest(employee_id="P02", metric="sales", period="2025Q2"),
    ]
    results = suggest_targets(data, requests)
    assert isinstance(results[0], TargetSuggestion) and isinstance(results[2], TargetSuggestion)
    assert isinstance(results[1], UnknownEmployee)


def test_build_rejects_rows_it_cannot_place() -> None:
    emps, _ = peers(n=2)
    bad_metric = HistoryPoint(employee_id="P00", period="2024Q1", metric="x", value=1.0)
    bad_period = HistoryPoint(employee_id="P00", period="2024-01", metric="sales", value=1.0)
    bad_employee = HistoryPoint(employee_id="Z", period="2024Q1", metric="sales", value=1.0)
    with pytest.raises(UnknownMetric):
        build(emps, [bad_metric])
    with pytest.raises(InvalidPeriod, match="sales"):
        build(emps, [bad_period])
    with pytest.raises(UnknownEmployee):
        build(emps, [bad_employee])


def test_a_metric_the_role_never_reported_is_not_applicable() -> None:
    emps, hist = peers(n=10)
    assembler = employee("ASM", role="assembler")
    newcomer = employee("REP", role="rep")
    data = build([*emps, assembler, newcomer], hist)
    with pytest.raises(NotApplicable) as info:
        suggest_target(data, TargetRequest(employee_id="ASM", metric="sales", period="2025Q1"))
    assert info.value.code == "not_applicable" and status_for(info.value) == 422
    assert "assembler" in str(info.value) and "sales" in str(info.value)
    # A newcomer whose role does report the metric still gets a cold-start range.
    request = TargetRequest(employee_id="REP", metric="sales", period="2025Q1")
    assert isinstance(suggest_target(data, request), TargetSuggestion)
