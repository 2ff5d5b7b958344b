"""Two audiences: the manager's preparation and the records' sufficiency never reach the employee.

Every draft kind is generated for the demo employee, approved by their manager, and then
everything `/v1/me/*` and the `/me` page return is searched for the manager-only text the
manager was shown on the same drafts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coach.chains.schemas import CheckinTopics, FeedbackDraft
from coach.demo import DemoTokens
from coach.drafts.content import employee_view
from coach.kinds import draft_kinds
from tests.factories import auth
from tests.web.conftest import demo_app, signed_in

AS_OF = "2026-11-16"
EMPLOYEE = "E012"  # the demo employee's own record
ME_ROUTES = ("/v1/me/feedback", "/v1/me/development", "/v1/me/targets")
# Preparation phrasing the offline engine writes for the manager (and once wrote for everyone).
PREP_PHRASES = ("建议面谈", "面谈前", "请他", "请对方")

REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "checkin_topics": ("/v1/checkins/topics", {"employee_id": EMPLOYEE, "date": AS_OF}),
    "feedback": (
        "/v1/feedback/drafts",
        {"employee_id": EMPLOYEE, "cycle": "latest", "date": AS_OF},
    ),
    "development": ("/v1/development/suggestions", {"employee_id": EMPLOYEE, "date": AS_OF}),
    "target": ("/v1/targets/suggest", {"employee_id": EMPLOYEE, "metric": "revenue", "period": "2026Q4"}),
}  # fmt: skip


def _manager_only(value: Any) -> list[str]:
    """Every text under a manager-only key of a draft's content, at any depth."""
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            found += _manager_only(item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key == "manager_prep" and inner:
                found.append(inner)
            elif key == "data_sufficiency" and inner:
                found.append(inner["reason"])
            else:
                found += _manager_only(inner)
    return found


@pytest.fixture
def world(tmp_path: Path) -> tuple[FastAPI, DemoTokens]:
    return demo_app(tmp_path / "home")


def _approve_every_kind(client: TestClient, tokens: DemoTokens) -> dict[str, list[str]]:
    """Each kind's draft, approved as generated; the manager-only texts the manager saw."""
    assert set(REQUESTS) == set(draft_kinds()), "a draft kind is missing from this walk"
    seen: dict[str, list[str]] = {}
    for kind, (path, body) in REQUESTS.items():
        made = client.post(path, json=body, headers=auth(tokens.manager))
        assert made.status_code in (200, 201), made.text
        draft_id = made.json()["draft_id"]
        shown = client.get(f"/v1/drafts/{draft_id}", headers=auth(tokens.manager)).json()
        approved = client.post(
            f"/v1/drafts/{draft_id}/approve", json={}, headers=auth(tokens.manager)
        )
        assert approved.status_code == 200, approved.text
        seen[kind] = _manager_only(shown["output"])
    return seen


def test_the_employee_never_sees_the_managers_preparation(
    world: tuple[FastAPI, DemoTokens],
) -> None:
    app, tokens = world
    with TestClient(app) as client:
        seen = _approve_every_kind(client, tokens)
        for kind in ("checkin_topics", "feedback", "development"):
            assert seen[kind], f"the {kind} draft holds no preparation for the manager"
        answers = []
        for route in ME_ROUTES:
            response = client.get(route, headers=auth(tokens.employee))
            assert response.status_code == 200, response.text
            answers.append(response.text)
        assert all('"data":[]' not in a for a in answers[:2]), "nothing approved reached /v1/me"
    page = signed_in(app, tokens.employee).client.get("/me")
    assert page.status_code == 200
    for text in [*answers, page.text]:
        for kind, notes in seen.items():
            leaked = [n for n in notes if n in text]
            assert not leaked, f"{kind}: the employee is shown {leaked[0]!r}"
        assert not [p for p in PREP_PHRASES if p in text], (
            "preparation phrasing reached the employee"
        )
        assert "manager_prep" not in text and "data_sufficiency" not in text


def test_the_manager_sees_preparation_and_sufficiency_on_the_draft_page(
    world: tuple[FastAPI, DemoTokens],
) -> None:
    app, tokens = world
    with TestClient(app) as client:
        path, body = REQUESTS["feedback"]
        draft = client.post(path, json=body, headers=auth(tokens.manager)).json()
    output = draft["output"]
    assert output["data_sufficiency"]["level"] in ("enough", "thin", "not_enough")
    assert output["manager_prep"] and all(s["manager_prep"] for s in output["strengths"])
    page = signed_in(app, tokens.manager).client.get(f"/drafts/{draft['draft_id']}")
    assert page.status_code == 200
    assert output["data_sufficiency"]["reason"] in page.text
    assert output["strengths"][0]["manager_prep"] in page.text


def test_an_edit_is_approved_with_both_parts(world: tuple[FastAPI, DemoTokens]) -> None:
    app, tokens = world
    with TestClient(app) as client:
        path, body = REQUESTS["feedback"]
        draft = client.post(path, json=body, headers=auth(tokens.manager)).json()
        edited = draft["output"]
        edited["strengths"][0]["manager_prep"] = "先问问对方这件事里最难的一步。"
        edited["strengths"][0]["text"] += "经理补充:这次的做法值得推广。"
        response = client.post(f"/v1/drafts/{draft['draft_id']}/approve",
                               json={"content": edited}, headers=auth(tokens.manager))  # fmt: skip
        assert response.status_code == 200, response.text
        final = response.json()["decisions"][0]["final_content"]
        assert final["strengths"][0]["manager_prep"] == "先问问对方这件事里最难的一步。"
        mine = client.get("/v1/me/feedback", headers=auth(tokens.employee)).json()
    shown = mine["data"][0]["content"]["strengths"][0]
    assert shown["text"].endswith("经理补充:这次的做法值得推广。") and "manager_prep" not in shown


def test_stored_drafts_without_the_manager_fields_still_load() -> None:
    old = {"topics": [{"rank": 1, "kind": "goal_setting", "title": "设定关键结果",
                       "why_now": "系统中还没有本期生效的关键结果。", "questions": ["问题一?", "问题二?"],
                       "evidence_ids": ["E012"]}]}  # fmt: skip
    assert CheckinTopics.model_validate(old).topics[0].manager_prep == ""
    assert employee_view(CheckinTopics, old) == old


def test_the_employee_view_drops_manager_fields_at_every_depth() -> None:
    content = {
        "summary": "你在2026H2周期的总结。", "summary_evidence_ids": ["E1"],
        "strengths": [{"text": "2026-10-05,提前锁定年度协议。", "evidence_ids": ["K1"],
                       "manager_prep": "建议面谈时具体肯定"}],
        "improvements": [{"behavior": "行为", "impact": "影响", "suggestion": "建议",
                          "evidence_ids": ["K1"], "manager_prep": "面谈前核对"}],
        "next_actions": [], "resource_needs": [],
        "manager_prep": "整体准备", "data_sufficiency": {"level": "thin", "reason": "只有1次面谈记录"},
        "unknown_key": "not declared by the schema",
    }  # fmt: skip
    shown = employee_view(FeedbackDraft, content)
    assert not _manager_only(shown) and "unknown_key" not in shown
    assert shown["strengths"][0] == {
        "text": "2026-10-05,提前锁定年度协议。",
        "evidence_ids": ["K1"],
    }
    assert shown["summary"] == content["summary"]


def test_the_employee_view_keeps_what_a_schema_with_extras_stores() -> None:
    target = {"commit": 80.0, "target": 90.0, "stretch": 100.0, "rationale": "依据历史数据"}
    assert employee_view(draft_kinds()["target"].schema, target) == target
