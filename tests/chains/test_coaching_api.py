"""The three coaching endpoints on the offline engine: shape, citations, access, drafts."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from coach.chains import feedback
from coach.core.models import Draft, Role
from coach.demo import DemoTokens
from coach.org.users import create_user
from tests.chains.conftest import AS_OF, auth

DAY = AS_OF.isoformat()


def _cited(output: dict[str, object]) -> list[str]:
    ids: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("evidence_ids", "summary_evidence_ids"):
                    ids.extend(inner)  # type: ignore[arg-type]
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(output)
    return ids


def _record_ids(snapshot: dict[str, object]) -> set[str]:
    ids = {snapshot["profile"]["id"]}  # type: ignore[index]
    for group in ("key_results", "checkins", "reviews", "events"):
        ids |= {r["id"] for r in snapshot[group]}  # type: ignore[attr-defined]
    return ids


def test_checkin_topics_are_three_ranked_and_cited(
    demo_client: TestClient, demo_tokens: DemoTokens, demo_engine: Engine
) -> None:
    response = demo_client.post("/v1/checkins/topics", json={"employee_id": "E012", "date": DAY},
                                headers=auth(demo_tokens.manager))  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    topics = body["output"]["topics"]
    assert [t["rank"] for t in topics] == [1, 2, 3]
    assert all(len(t["questions"]) == 2 and t["why_now"] and t["evidence_ids"] for t in topics)
    assert body["status"] == "pending" and body["output"]["quality_flags"] == []
    assert body["provenance"]["provider"] == "offline"
    assert body["provenance"]["template_id"] == "coaching/checkin_topics.j2"
    assert len(body["provenance"]["template_hash"]) == 16
    with Session(demo_engine) as session:
        draft = session.get(Draft, body["draft_id"])
        assert draft is not None and draft.kind == "checkin_topics"
        snapshot = draft.inputs["snapshot"]
    assert set(_cited(body["output"])) <= _record_ids(snapshot)
    assert topics[0]["kind"] == "off_track_kr"  # E012 has a key result well behind schedule


def test_topics_in_english(demo_client: TestClient, demo_tokens: DemoTokens) -> None:
    body = demo_client.post("/v1/checkins/topics", json={"employee_id": "E012", "date": DAY, "lang": "en"},
                            headers=auth(demo_tokens.manager)).json()  # fmt: skip
    topics = body["output"]["topics"]
    assert all(
        t["questions"][0].split()[0].isascii() and t["questions"][0].endswith("?") for t in topics
    )
    assert all(t["why_now"].split()[0].isascii() for t in topics)
    assert body["output"]["quality_flags"] == []


def test_feedback_draft_has_every_section_with_citations(
    demo_client: TestClient, demo_tokens: DemoTokens, demo_engine: Engine
) -> None:
    response = demo_client.post("/v1/feedback/drafts", json={"employee_id": "E013", "cycle": "latest", "date": DAY},
                                headers=auth(demo_tokens.manager))  # fmt: skip
    assert response.status_code == 201, response.text
    out = response.json()["output"]
    assert out["summary"] and out["strengths"] and out["improvements"] and out["resource_needs"]
    assert all(i["behavior"] and i["impact"] and i["suggestion"] for i in out["improvements"])
    assert all(
        a["owner"] in ("employee", "manager") and a["due_date"] >= DAY for a in out["next_actions"]
    )
    assert out["quality_flags"] == []
    with Session(demo_engine) as session:
        draft = session.get(Draft, response.json()["draft_id"])
        assert draft is not None
        assert set(_cited(out)) <= _record_ids(draft.inputs["snapshot"])
        assert draft.inputs["snapshot"]["cycle"] == "2026H2"


def test_feedback_for_an_explicit_cycle_uses_its_scores(
    demo_client: TestClient, demo_tokens: DemoTokens
) -> None:
    body = demo_client.post("/v1/feedback/drafts", json={"employee_id": "E012", "cycle": "2026H1", "date": DAY},
                            headers=auth(demo_tokens.manager)).json()  # fmt: skip
    assert "2026H1" in body["output"]["summary"]


def test_bad_cycle_is_422(demo_client: TestClient, demo_tokens: DemoTokens) -> None:
    response = demo_client.post("/v1/feedback/drafts", json={"employee_id": "E012", "cycle": "last year"},
                                headers=auth(demo_tokens.manager))  # fmt: skip
    assert response.status_code == 422


def test_development_suggestions_use_retrieved_practices(
    demo_client: TestClient, demo_tokens: DemoTokens, demo_engine: Engine
) -> None:
    response = demo_client.post("/v1/development/suggestions", json={"employee_id": "E012", "date": DAY},
                                headers=auth(demo_tokens.manager))  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    suggestions = body["output"]["suggestions"]
    assert 2 <= len(suggestions) <= 4
    with Session(demo_engine) as session:
        draft = session.get(Draft, body["draft_id"])
        assert draft is not None
        practices = {p["id"]: p["title"] for p in draft.inputs["snapshot"]["practices"]}
    for s in suggestions:
        assert practices[s["practice_id"]] == s["practice_title"]
        assert s["first_step"] and s["milestones"]["day_90"]
    assert body["output"]["quality_flags"] == []


def test_employee_may_ask_for_own_development_but_sees_only_after_approval(
    demo_client: TestClient, demo_tokens: DemoTokens
) -> None:
    own = demo_client.post("/v1/development/suggestions", json={"employee_id": "E012", "date": DAY},
                           headers=auth(demo_tokens.employee))  # fmt: skip
    assert own.status_code == 201 and own.json()["status"] == "pending"
    # The request reaches the manager; the employee gets a receipt without the AI content.
    assert set(own.json()) == {"draft_id", "kind", "status", "employee_id", "message"}
    peek = demo_client.get(
        f"/v1/drafts/{own.json()['draft_id']}", headers=auth(demo_tokens.employee)
    )
    assert peek.status_code == 200 and peek.json() == own.json()
    manager = demo_client.get(
        f"/v1/drafts/{own.json()['draft_id']}", headers=auth(demo_tokens.manager)
    )
    assert manager.status_code == 200 and manager.json()["output"]["suggestions"]
    other = demo_client.post("/v1/development/suggestions", json={"employee_id": "E013"},
                             headers=auth(demo_tokens.employee))  # fmt: skip
    assert other.status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [("/v1/checkins/topics", {"employee_id": "E012", "date": DAY}),
     ("/v1/feedback/drafts", {"employee_id": "E012", "cycle": "latest", "date": DAY})],
)  # fmt: skip
def test_who_may_call(
    demo_client: TestClient,
    demo_tokens: DemoTokens,
    demo_engine: Engine,
    path: str,
    body: dict[str, str],
) -> None:
    with Session(demo_engine) as session:
        _, other_manager = create_user(
            session, name="m-e020", role=Role.manager, employee_id="E020"
        )
        session.commit()
    status = {
        "manager": demo_client.post(path, json=body, headers=auth(demo_tokens.manager)).status_code,
        "hr": demo_client.post(path, json=body, headers=auth(demo_tokens.hr)).status_code,
        "employee": demo_client.post(
            path, json=body, headers=auth(demo_tokens.employee)
        ).status_code,
        "admin": demo_client.post(path, json=body, headers=auth(demo_tokens.admin)).status_code,
        "other_manager": demo_client.post(path, json=body, headers=auth(other_manager)).status_code,
    }
    assert status == {
        "manager": 201,
        "hr": 201,
        "employee": 403,
        "admin": 403,
        "other_manager": 403,
    }
    unknown = demo_client.post(
        path, json={**body, "employee_id": "E999"}, headers=auth(demo_tokens.hr)
    )
    assert unknown.status_code == 404
    assert demo_client.post(path, json=body).status_code == 401


def test_edited_approval_must_fit_the_schema(
    demo_client: TestClient, demo_tokens: DemoTokens
) -> None:
    draft = demo_client.post("/v1/checkins/topics", json={"employee_id": "E012", "date": DAY},
                             headers=auth(demo_tokens.manager)).json()  # fmt: skip
    bad = {"topics": draft["output"]["topics"][1:]}  # ranked 2, 3: no first topic
    response = demo_client.post(f"/v1/drafts/{draft['draft_id']}/approve", json={"content": bad},
                                headers=auth(demo_tokens.manager))  # fmt: skip
    assert response.status_code == 422
    edited = {**draft["output"], "topics": draft["output"]["topics"]}
    edited["topics"][0]["title"] = "经理改写的议题标题"
    ok = demo_client.post(f"/v1/drafts/{draft['draft_id']}/approve", json={"content": edited},
                          headers=auth(demo_tokens.manager))  # fmt: skip
    assert ok.status_code == 200 and ok.json()["decisions"][0]["decision"] == "edit"


def test_the_offline_feedback_draft_is_composed_once(
    demo_client: TestClient, demo_tokens: DemoTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    composed: list[str] = []
    compose = feedback.compose_feedback

    def counted(snapshot: Any, *rest: Any) -> Any:
        composed.append(snapshot.profile.id)
        return compose(snapshot, *rest)

    monkeypatch.setattr(feedback, "compose_feedback", counted)
    response = demo_client.post("/v1/feedback/drafts", json={"employee_id": "E012", "cycle": "latest", "date": DAY},
                                headers=auth(demo_tokens.manager))  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["provenance"]["provider"] == "offline"
    assert composed == ["E012"]
