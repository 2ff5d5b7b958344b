from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from coach.core.errors import Conflict
from coach.core.models import ApprovalRecord, AuditEvent, Decision, Draft, DraftStatus
from coach.drafts.decisions import decide
from coach.drafts.registry import DraftKind, register_kinds
from coach.drafts.store import Provenance, create_draft
from coach.org.users import Principal, authenticate
from tests.factories import auth


class _Note(BaseModel):
    summary: str
    points: list[str]


@pytest.fixture(autouse=True)
def _note_kind() -> None:
    register_kinds([DraftKind("test_note", schema=_Note)])


def _draft(engine: Engine, kind: str = "test_note") -> str:
    with Session(engine) as session:
        draft = create_draft(
            session, kind=kind, employee_id="A1", requester=None,
            inputs={"records": ["C-1"]}, output={"summary": "AI 摘要", "points": ["一"]},
            provenance=Provenance(provider="offline", model="coach-offline-1",
                                  template_id="feedback/draft.j2", template_hash="abc123"),
        )  # fmt: skip
        session.commit()
        return draft.id


def test_get_draft_shows_inputs_output_and_provenance(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    body = client.get(f"/v1/drafts/{draft_id}", headers=auth(tokens["manager"])).json()
    assert body["status"] == "pending" and body["employee_id"] == "A1"
    assert body["inputs"] == {"records": ["C-1"]}
    assert body["provenance"]["template_hash"] == "abc123" and body["decisions"] == []


def test_approve_as_is_records_decision_and_audit(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    body = client.post(f"/v1/drafts/{draft_id}/approve", headers=auth(tokens["manager"])).json()
    assert body["status"] == "approved"
    assert body["decisions"][0]["decision"] == "approve"
    assert body["decisions"][0]["reviewer"] == "user-manager"
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "draft.approve" in actions


def test_edit_and_approve_keeps_both_versions(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    edited = {"summary": "经理改写的摘要", "points": ["一", "二"]}
    body = client.post(
        f"/v1/drafts/{draft_id}/approve", headers=auth(tokens["manager"]),
        json={"content": edited, "note": "补充了第二点"},
    ).json()  # fmt: skip
    assert body["decisions"][0]["decision"] == "edit"
    assert body["decisions"][0]["final_content"] == edited
    assert body["output"]["summary"] == "AI 摘要"  # the AI version is kept


def test_edit_must_fit_the_schema(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    response = client.post(
        f"/v1/drafts/{draft_id}/approve",
        headers=auth(tokens["manager"]),
        json={"content": {"summary": "x"}},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "content", "points"]
    assert (
        client.get(f"/v1/drafts/{draft_id}", headers=auth(tokens["manager"])).json()["status"]
        == "pending"
    )


def test_reject_needs_a_reason(client: TestClient, engine: Engine, tokens: dict[str, str]) -> None:
    draft_id = _draft(engine)
    response = client.post(
        f"/v1/drafts/{draft_id}/reject", headers=auth(tokens["manager"]), json={"reason": ""}
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "reason"]
    response = client.post(
        f"/v1/drafts/{draft_id}/reject",
        headers=auth(tokens["manager"]),
        json={"reason": "引用的记录不对"},
    )
    assert response.json()["status"] == "rejected"
    assert response.json()["decisions"][0]["reason"] == "引用的记录不对"


def test_a_decided_draft_cannot_be_decided_again(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    assert (
        client.post(f"/v1/drafts/{draft_id}/approve", headers=auth(tokens["manager"])).status_code
        == 200
    )
    again = client.post(
        f"/v1/drafts/{draft_id}/reject", headers=auth(tokens["manager"]), json={"reason": "x"}
    )
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    with Session(engine) as session:
        assert len(session.exec(select(ApprovalRecord)).all()) == 1


def test_indirect_manager_may_decide_but_not_on_themselves(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    assert (
        client.post(
            f"/v1/drafts/{draft_id}/approve", headers=auth(tokens["top_manager"])
        ).status_code
        == 200
    )
    with Session(engine) as session:
        own = create_draft(session, kind="test_note", employee_id="M1", requester=None, inputs={},
                           output={"summary": "s", "points": []}, provenance=Provenance(provider="offline"))  # fmt: skip
        session.commit()
        own_id = own.id
    assert (
        client.post(f"/v1/drafts/{own_id}/approve", headers=auth(tokens["manager"])).status_code
        == 403
    )


def test_unknown_draft_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/v1/drafts/nope", headers=auth(tokens["hr"])).status_code == 404


def _manager(session: Session, token: str) -> Principal:
    principal = authenticate(session, token)
    assert principal is not None
    return principal


def test_of_two_decisions_that_both_read_pending_one_succeeds_and_one_conflicts(
    engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    with Session(engine) as first, Session(engine) as second:
        # The second reviewer's session has read the draft while it was still pending (and
        # holds on to it, so its identity map keeps that reading).
        stale = second.get(Draft, draft_id)
        assert stale is not None and stale.status == DraftStatus.pending
        decide(first, _manager(first, tokens["manager"]), draft_id, approve=True)
        first.commit()
        with pytest.raises(Conflict, match="already approved"):
            reviewer = _manager(second, tokens["manager"])
            decide(second, reviewer, draft_id, approve=False, reason="重复")
        second.rollback()
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == DraftStatus.approved
        assert len(session.exec(select(ApprovalRecord)).all()) == 1


def _record(draft_id: str, reviewer: Principal, decision: Decision) -> ApprovalRecord:
    return ApprovalRecord(
        draft_id=draft_id,
        reviewer_id=reviewer.user_id,
        reviewer_name=reviewer.name,
        decision=decision,
    )


def test_the_database_refuses_a_second_approval_record_for_a_draft(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    draft_id = _draft(engine)
    with Session(engine) as session:
        reviewer = _manager(session, tokens["manager"])
        # A decision recorded while the draft still says pending: only the constraint stops
        # the next one.
        session.add(_record(draft_id, reviewer, Decision.approve))
        session.commit()
        session.add(_record(draft_id, reviewer, Decision.reject))
        with pytest.raises(IntegrityError):
            session.commit()
    response = client.post(f"/v1/drafts/{draft_id}/approve", headers=auth(tokens["manager"]))
    assert response.status_code == 409, response.text
    assert "already has a decision" in response.json()["detail"]
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == DraftStatus.pending
        assert len(session.exec(select(ApprovalRecord)).all()) == 1
