"""Writing and reading check-ins, metrics, goals, progress, review scores and key events."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from coach.core.audit import verify_chain
from coach.core.models import AuditEvent
from tests.factories import auth

METRICS = "metric,name,unit,direction,period_type\nrevenue,回款,万元,higher_is_better,quarter\ncsat,满意度,分,higher_is_better,month\n"
HISTORY = "employee_id,period,metric,value\nA1,2026Q1,revenue,80\nA1,2026Q2,revenue,90\nA1,2026-05,csat,4.6\nB1,2026Q1,revenue,70\n"


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = client.post(path, headers=auth(token), json=body)
    return response.status_code, response.json()


def _get(client: TestClient, token: str, path: str, **params: Any) -> tuple[int, Any]:
    response = client.get(path, headers=auth(token), params=params)
    return response.status_code, response.json()


def _events(engine: Engine, object_type: str) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.object_type == object_type)
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def _goal(goal_id: str = "G1", employee_id: str = "A1", **fields: Any) -> dict[str, Any]:
    body = {
        "goal_id": goal_id, "employee_id": employee_id, "cycle": "2026H1", "title": "回款提升",
        "kind": "okr",
        "key_results": [
            {"kr_id": f"{goal_id}-K1", "title": "回款100万", "unit": "万元", "baseline": 60, "target": 100},
        ],
    }  # fmt: skip
    return {**body, **fields}


# --- check-ins ----------------------------------------------------------------------------


def test_a_manager_records_a_checkin_and_it_lists_newest_first(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    for day, progress in (("2026-10-01", "十月"), ("2026-11-01", "十一月")):
        status, body = _post(
            client, tokens["manager"], "/v1/checkins",
            {"employee_id": "A1", "date": day, "progress": progress, "manager_feedback": "表现良好"},
        )  # fmt: skip
        assert status == 201, body
        assert body["manager_id"] == "M1" and body["feedback_check"]["vague"] is True
    status, page = _get(client, tokens["employee"], "/v1/checkins", employee_id="A1")
    assert status == 200 and page["count"] == 2
    assert [c["progress"] for c in page["data"]] == ["十一月", "十月"]
    assert len(_events(engine, "checkin")) == 2


def test_checkins_are_written_and_read_only_within_scope(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = {"employee_id": "A1", "date": "2026-10-01", "progress": "x"}
    assert _post(client, tokens["employee"], "/v1/checkins", body)[0] == 403
    assert _post(client, tokens["other_manager"], "/v1/checkins", body)[0] == 403
    assert _post(client, tokens["manager"], "/v1/checkins", {**body, "date": "soon"})[0] == 422
    _post(client, tokens["manager"], "/v1/checkins", body)
    assert _get(client, tokens["other_manager"], "/v1/checkins", employee_id="A1")[0] == 403
    assert _get(client, tokens["other_manager"], "/v1/checkins")[1]["count"] == 0
    assert _get(client, tokens["hr"], "/v1/checkins")[1]["count"] == 1


# --- metrics and history ------------------------------------------------------------------


def _seed_history(client: TestClient, tokens: dict[str, str]) -> None:
    for kind, text in (("metrics", METRICS), ("history", HISTORY)):
        response = client.post(
            f"/v1/imports/{kind}", headers=auth(tokens["admin"]),
            files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
        )  # fmt: skip
        assert response.status_code == 200, response.json()


def test_metrics_and_a_persons_history_are_listed(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _seed_history(client, tokens)
    status, metrics = _get(client, tokens["employee"], "/v1/metrics")
    assert status == 200 and [m["metric"] for m in metrics["data"]] == ["csat", "revenue"]
    status, history = _get(client, tokens["manager"], "/v1/employees/A1/history", metric="revenue")
    assert status == 200 and history["count"] == 2
    assert [(h["period"], h["value"]) for h in history["data"]] == [("2026Q1", 80), ("2026Q2", 90)]
    assert _get(client, tokens["employee"], "/v1/employees/A1/history")[1]["count"] == 3
    assert _get(client, tokens["manager"], "/v1/employees/B1/history")[0] == 403


def test_an_unknown_metric_or_employee_says_what_exists(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _seed_history(client, tokens)
    status, body = _get(client, tokens["hr"], "/v1/employees/A1/history", metric="sales")
    assert status == 404
    assert body["detail"] == "metric 'sales' not found; known metrics: csat, revenue"
    status, body = _get(client, tokens["hr"], "/v1/employees/Z9/history")
    assert status == 404 and "GET /v1/employees" in body["detail"]


def test_a_guessed_metric_in_a_target_request_lists_the_known_ones(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _seed_history(client, tokens)
    response = client.post(
        "/v1/targets/suggest", headers=auth(tokens["manager"]),
        json={"employee_id": "A1", "metric": "sales", "period": "2026Q3"},
    )  # fmt: skip
    assert response.status_code == 404
    assert "known metrics: csat, revenue" in response.json()["detail"]


# --- goals and progress -------------------------------------------------------------------


def test_goals_are_written_with_key_results_and_read_back_with_progress(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    status, goal = _post(client, tokens["employee"], "/v1/goals", _goal())
    assert status == 201, goal
    assert goal["key_results"][0]["current"] == 60 and goal["key_results"][0]["progress"] == []
    status, reading = _post(
        client, tokens["employee"], "/v1/key-results/G1-K1/progress",
        {"date": "2026-03-31", "value": 75, "note": "一季度"},
    )  # fmt: skip
    assert status == 201 and reading["author_id"] == "A1"
    # A second reading on the same day replaces the first.
    status, _ = _post(
        client, tokens["manager"], "/v1/key-results/G1-K1/progress",
        {"date": "2026-03-31", "value": 78},
    )  # fmt: skip
    assert status == 201
    status, page = _get(client, tokens["manager"], "/v1/goals", employee_id="A1", cycle="2026H1")
    assert status == 200 and page["count"] == 1
    kr = page["data"][0]["key_results"][0]
    assert kr["current"] == 78
    assert [(p["date"], p["value"], p["author_id"]) for p in kr["progress"]] == [
        ("2026-03-31", 78, "M1")
    ]
    assert _get(client, tokens["manager"], "/v1/goals", cycle="2026Q3")[1]["count"] == 0
    assert [e.action for e in _events(engine, "goal")] == ["create"]
    assert [e.action for e in _events(engine, "progress")] == ["create", "update"]


def test_goal_writes_follow_the_scope(client: TestClient, tokens: dict[str, str]) -> None:
    assert _post(client, tokens["employee"], "/v1/goals", _goal("G2", "A2"))[0] == 403
    assert _post(client, tokens["other_manager"], "/v1/goals", _goal("G2", "A2"))[0] == 403
    assert _post(client, tokens["manager"], "/v1/goals", _goal("G2", "A2"))[0] == 201
    assert _post(client, tokens["hr"], "/v1/goals", _goal("G3", "B1"))[0] == 201
    assert _post(client, tokens["hr"], "/v1/goals", _goal("G3", "B1"))[0] == 409
    assert _post(client, tokens["hr"], "/v1/goals", _goal("G4", "NOBODY"))[0] == 404
    assert _get(client, tokens["employee"], "/v1/goals")[1]["count"] == 0  # A2's and B1's only
    assert _get(client, tokens["other_manager"], "/v1/goals")[1]["count"] == 1
    status, _ = _post(
        client, tokens["employee"], "/v1/key-results/G2-K1/progress", {"date": "2026-01-01", "value": 1}
    )  # fmt: skip
    assert status == 403
    status, body = _post(
        client, tokens["employee"], "/v1/key-results/NOPE/progress", {"date": "2026-01-01", "value": 1}
    )  # fmt: skip
    assert status == 404 and "GET /v1/goals" in body["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "bsc"}, "kind"),
        ({"cycle": "2026H3"}, "cycle"),
        ({"goal_id": "G 1", "key_results": []}, "goal_id"),
        ({"title": " "}, "title"),
    ],
)
def test_an_invalid_goal_names_the_field(
    client: TestClient, tokens: dict[str, str], change: dict[str, Any], field: str
) -> None:
    status, body = _post(client, tokens["hr"], "/v1/goals", _goal(**change))
    assert status == 422 and [e["loc"][-1] for e in body["detail"]] == [field]


def test_a_key_result_naming_an_unknown_metric_is_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _seed_history(client, tokens)
    body = _goal()
    body["key_results"][0]["metric"] = "sales"
    status, answer = _post(client, tokens["hr"], "/v1/goals", body)
    assert status == 422 and answer["detail"][0]["loc"] == ["body", "key_results", "0", "metric"]
    assert "known metrics: csat, revenue" in answer["detail"][0]["msg"]


# --- review scores ------------------------------------------------------------------------


def _review(**fields: Any) -> dict[str, Any]:
    return {"cycle": "2026H1", "employee_id": "A1", "dimension": "results", "score": 4, **fields}


def test_a_manager_scores_a_report_and_the_score_is_listed(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    status, score = _post(client, tokens["manager"], "/v1/reviews", _review(comment="稳定"))
    assert status == 201 and score["reviewer_id"] == "M1"
    status, _ = _post(client, tokens["manager"], "/v1/reviews", _review(score=4.5))
    assert status == 201  # the same reviewer rescoring replaces the score
    assert _post(client, tokens["top_manager"], "/v1/reviews", _review(score=3))[0] == 201
    status, page = _get(client, tokens["employee"], "/v1/reviews", employee_id="A1")
    assert status == 200
    assert sorted((r["reviewer_id"], r["score"]) for r in page["data"]) == [("E1", 3), ("M1", 4.5)]
    assert [e.action for e in _events(engine, "review_score")] == ["create", "update", "create"]


def test_nobody_scores_themselves_or_outside_their_reports(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert _post(client, tokens["employee"], "/v1/reviews", _review())[0] == 403
    assert _post(client, tokens["employee"], "/v1/reviews", _review(employee_id="A2"))[0] == 403
    assert _post(client, tokens["other_manager"], "/v1/reviews", _review())[0] == 403
    assert _post(client, tokens["manager"], "/v1/reviews", _review(employee_id="M1"))[0] == 403
    status, _ = _post(client, tokens["manager"], "/v1/reviews", _review(reviewer_id="E1"))
    assert status == 403  # a manager scores under their own name
    assert _get(client, tokens["other_manager"], "/v1/reviews", employee_id="A1")[0] == 403


def test_a_score_outside_the_scale_is_refused_naming_it(
    client: TestClient, tokens: dict[str, str]
) -> None:
    status, body = _post(client, tokens["manager"], "/v1/reviews", _review(score=6))
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "score"]
    assert body["detail"][0]["msg"] == "6 is outside the review scale 1–5"


def test_hr_names_the_reviewer(client: TestClient, tokens: dict[str, str]) -> None:
    status, body = _post(client, tokens["hr"], "/v1/reviews", _review())
    assert status == 422 and body["detail"][0]["loc"] == ["body", "reviewer_id"]
    status, body = _post(client, tokens["hr"], "/v1/reviews", _review(reviewer_id="GHOST"))
    assert status == 422
    status, body = _post(client, tokens["hr"], "/v1/reviews", _review(reviewer_id="M1"))
    assert status == 201 and body["reviewer_id"] == "M1"


# --- key events ---------------------------------------------------------------------------


def _event(event_id: str = "KE1", **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id, "employee_id": "A1", "date": "2026-04-02",
        "description": "独立完成华润续约", "impact": "回款30万元", "kind": "positive", **fields,
    }  # fmt: skip


def test_key_events_are_written_by_managers_and_listed_newest_first(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    status, event = _post(client, tokens["manager"], "/v1/key-events", _event())
    assert status == 201 and event["author_id"] == "M1"
    _post(
        client,
        tokens["manager"],
        "/v1/key-events",
        _event("KE2", date="2026-06-01", kind="negative"),
    )
    assert _post(client, tokens["manager"], "/v1/key-events", _event())[0] == 409
    assert _post(client, tokens["employee"], "/v1/key-events", _event("KE3"))[0] == 403
    assert _post(client, tokens["other_manager"], "/v1/key-events", _event("KE3"))[0] == 403
    assert _post(client, tokens["manager"], "/v1/key-events", _event("KE3", kind="good"))[0] == 422
    status, page = _get(client, tokens["employee"], "/v1/key-events", employee_id="A1")
    assert status == 200 and [e["event_id"] for e in page["data"]] == ["KE2", "KE1"]
    assert _get(client, tokens["other_manager"], "/v1/key-events")[1]["count"] == 0
    assert len(_events(engine, "key_event")) == 2
    with Session(engine) as session:
        assert verify_chain(session).ok


def test_lists_page_with_the_total(client: TestClient, tokens: dict[str, str]) -> None:
    for n in range(3):
        _post(client, tokens["manager"], "/v1/key-events", _event(f"KE{n}"))
    status, page = _get(client, tokens["hr"], "/v1/key-events", limit=2, offset=2)
    assert status == 200 and page["count"] == 3 and len(page["data"]) == 1
    assert _get(client, tokens["hr"], "/v1/goals", limit=0)[0] == 422


def test_a_malformed_key_result_id_in_the_path_is_404(
    client: TestClient, tokens: dict[str, str]
) -> None:
    status, body = _post(
        client, tokens["hr"], "/v1/key-results/no%20such%20kr/progress", {"date": "2026-01-01", "value": 1}
    )  # fmt: skip
    assert status == 404 and "no such kr" in body["detail"]
