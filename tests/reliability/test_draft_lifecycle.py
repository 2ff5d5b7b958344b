"""A draft exists from the moment it is asked for; an LLM down for every call loses nothing."""

from __future__ import annotations

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from coach.chains import checkin_topics
from coach.core.models import Draft, DraftStatus
from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.llm import CircuitBreaker, OpenAIEngine, ResilientEngine, RetryPolicy
from tests.chains.conftest import AS_OF, BASE_URL, auth, build_app
from tests.reliability.conftest import FakeTime

URL = f"{BASE_URL}/chat/completions"


def resilient_engine(fake_time: FakeTime, *, threshold: int = 5) -> ResilientEngine:
    """The engine the factory builds, pointed at respx, with sleeps that return at once."""
    inner = OpenAIEngine(model="test-model", api_key="sk-test", base_url=BASE_URL)
    return ResilientEngine(
        inner, policy=RetryPolicy(max_retries=2, deadline=90),
        breaker=CircuitBreaker("llm.test", threshold=threshold, clock=fake_time.clock),
        sleep=fake_time.sleep, asleep=fake_time.asleep, clock=fake_time.clock,
    )  # fmt: skip


@respx.mock
def test_every_draft_request_completes_when_the_llm_answers_500(
    settings: Settings, knowledge: KnowledgeBase, fake_time: FakeTime
) -> None:
    route = respx.post(URL).mock(
        return_value=httpx.Response(500, json={"error": {"message": "down"}})
    )
    app = build_app(settings, knowledge, resilient_engine(fake_time))
    tokens = app.state.demo_tokens
    requests = [
        ("/v1/checkins/topics", {"employee_id": "E012", "date": AS_OF.isoformat()}),
        ("/v1/feedback/drafts", {"employee_id": "E012", "cycle": "latest", "date": AS_OF.isoformat()}),
        ("/v1/development/suggestions", {"employee_id": "E012", "date": AS_OF.isoformat()}),
        ("/v1/checkins/topics", {"employee_id": "E013", "date": AS_OF.isoformat()}),
    ]  # fmt: skip
    reasons = []
    with TestClient(app) as client:
        for path, body in requests:
            response = client.post(path, json=body, headers=auth(tokens.manager))
            assert response.status_code == 201, response.text
            provenance = response.json()["provenance"]
            assert provenance["provider"] == "offline" and response.json()["status"] == "pending"
            reasons.append(provenance["fallback_reason"])
        target = client.post(
            "/v1/targets/suggest", headers=auth(tokens.manager),
            json={"employee_id": "E012", "metric": "revenue", "period": "2026Q4"},
        )  # fmt: skip
    assert (
        reasons[0]
        == 'openai call failed: 500 server error: "down" after 3 attempts; answered offline'
    )
    # After five failed attempts the breaker is open: later requests fail fast, nothing is sent.
    assert "circuit opened" in reasons[1] and reasons[2].startswith(
        "openai call failed: circuit open"
    )
    assert route.call_count == 5
    if (
        target.status_code == 200
    ):  # the demo data may not hold that metric; the rephrase is what counts
        assert "circuit open" in target.json()["provenance"]["fallback_reason"]
    with Session(app.state.engine) as session:
        drafts = session.exec(select(Draft).where(col(Draft.kind) != "target")).all()
    assert len(drafts) == len(requests)
    assert {d.status for d in drafts} == {DraftStatus.pending}
    assert all(d.fallback_reason and d.output for d in drafts)


@respx.mock
def test_the_draft_is_generating_while_the_model_is_asked(
    settings: Settings, knowledge: KnowledgeBase, fake_time: FakeTime
) -> None:
    seen: list[tuple[DraftStatus, dict[str, object]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        with Session(app.state.engine) as session:
            draft = session.exec(select(Draft)).one()
            seen.append((draft.status, draft.inputs))
        return httpx.Response(
            503, headers={"Retry-After": "1"}, json={"error": {"message": "busy"}}
        )

    respx.post(URL).mock(side_effect=answer)
    app = build_app(settings, knowledge, resilient_engine(fake_time))
    with TestClient(app) as client:
        response = client.post(
            "/v1/checkins/topics", json={"employee_id": "E012", "date": AS_OF.isoformat()},
            headers=auth(app.state.demo_tokens.manager),
        )  # fmt: skip
    assert response.status_code == 201
    status, inputs = seen[0]
    assert status == DraftStatus.generating and inputs["snapshot"] and inputs["request"]
    assert fake_time.sleeps == [1.0, 1.0]  # Retry-After honoured
    body = response.json()
    assert body["status"] == "pending"
    assert body["provenance"]["fallback_reason"].startswith("openai call failed: 503 server error")


def test_a_draft_that_cannot_be_generated_is_kept_as_failed(
    settings: Settings, knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("composer bug")

    monkeypatch.setattr(checkin_topics, "run_chain", broken)
    app = build_app(settings, knowledge)
    tokens = app.state.demo_tokens
    with TestClient(app) as client:
        response = client.post(
            "/v1/checkins/topics", json={"employee_id": "E012", "date": AS_OF.isoformat()},
            headers=auth(tokens.manager),
        )  # fmt: skip
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "failed" and "composer bug" in body["detail"]
        shown = client.get(f"/v1/drafts/{body['draft_id']}", headers=auth(tokens.manager)).json()
        assert (
            shown["status"] == "failed" and shown["failure_reason"] == "RuntimeError: composer bug"
        )
        decided = client.post(
            f"/v1/drafts/{body['draft_id']}/approve", json={}, headers=auth(tokens.manager)
        )
        assert decided.status_code == 409  # a failed draft can never be approved
        inbox = client.get("/v1/drafts", headers=auth(tokens.manager)).json()
        assert body["draft_id"] not in {d["id"] for d in inbox["data"]}


def test_a_refused_request_creates_no_draft(settings: Settings, knowledge: KnowledgeBase) -> None:
    app = build_app(settings, knowledge)
    with TestClient(app) as client:
        response = client.post(
            "/v1/checkins/topics", json={"employee_id": "E001"},
            headers=auth(app.state.demo_tokens.manager),
        )  # fmt: skip
    assert response.status_code == 403
    with Session(app.state.engine) as session:
        assert session.exec(select(Draft)).all() == []
