"""Pseudonymisation in a large organisation: bounded by the records, nothing named leaks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, col, select

from coach.chains import feedback, runner
from coach.chains.names import NameIndex, org_index
from coach.chains.privacy import Pseudonymizer
from coach.chains.records import load_names, load_snapshot
from coach.core.db import session_scope
from coach.core.models import CheckIn, Employee
from coach.core.settings import Settings
from coach.imports import ImportKind, import_file
from coach.knowledge import KnowledgeBase
from tests.chains.conftest import (
    AS_OF,
    BASE_URL,
    auth,
    build_app,
    llm_payload,
    openai_engine,
    sent_text,
    tool_answer,
)
from tests.factories import employee

URL = f"{BASE_URL}/chat/completions"
COLLEAGUE = ("X77", "欧阳娜娜")  # another department; named only in a check-in note


@pytest.fixture
def llm_app(settings: Settings, knowledge: KnowledgeBase) -> FastAPI:
    app = build_app(settings, knowledge, chat_engine=openai_engine())
    now = datetime.now(UTC)
    with Session(app.state.engine) as session:
        session.add(employee(*COLLEAGUE, department="财务部", team="财务"))
        session.execute(
            insert(Employee),
            [{"employee_id": f"S{i:05d}", "name": f"同事{i:05d}", "manager_id": "E001",
              "updated_at": now} for i in range(3000)],
        )  # fmt: skip
        latest = session.exec(
            select(CheckIn).where(CheckIn.employee_id == "E012").order_by(col(CheckIn.date).desc())
        ).first()
        assert latest is not None
        latest.obstacles = f"报价要等{COLLEAGUE[1]}({COLLEAGUE[0]})确认"
        session.add(latest)
        session.commit()
    return app


def test_the_directory_holds_only_the_people_the_records_name(llm_app: FastAPI) -> None:
    with Session(llm_app.state.engine) as session:
        snapshot = load_snapshot(
            session, employee_id="E012", draft_kind="feedback", as_of=AS_OF, cycle="latest"
        )
        people = load_names(session, snapshot).people
    assert people["E012"] == "李强" and people[COLLEAGUE[0]] == COLLEAGUE[1]
    assert snapshot.profile.manager_id in people
    assert not any(i.startswith("S") for i in people)  # 3,000 colleagues the records never name
    assert len(people) < 30


@respx.mock
def test_a_colleague_named_in_a_checkin_note_is_masked(llm_app: FastAPI) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(500, json={"error": {}}))
    with TestClient(llm_app) as client:
        response = client.post(
            "/v1/feedback/drafts", headers=auth(llm_app.state.demo_tokens.manager),
            json={"employee_id": "E012", "cycle": "latest", "date": AS_OF.isoformat()},
        )  # fmt: skip
    assert response.status_code == 201, response.text
    sent = sent_text(route.calls[0].request)
    assert "报价要等" in sent
    assert COLLEAGUE[1] not in sent and COLLEAGUE[0] not in sent and "李强" not in sent


@respx.mock
def test_masking_and_checking_run_off_the_event_loop(
    llm_app: FastAPI, knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[str] = []

    def watched(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_loop.append(fn.__name__)
            except RuntimeError:
                pass  # a worker thread: no loop here
            return fn(*args, **kwargs)

        return call

    monkeypatch.setattr(feedback, "pseudonymizer_for", watched(feedback.pseudonymizer_for))
    monkeypatch.setattr(feedback, "spec", watched(feedback.spec))
    monkeypatch.setattr(runner, "_vague_items", watched(runner._vague_items))
    for method in ("mask_value", "unmask_model"):
        monkeypatch.setattr(Pseudonymizer, method, watched(getattr(Pseudonymizer, method)))
    payload = llm_payload(llm_app.state.engine, knowledge, "feedback", "E012", cycle="latest")
    respx.post(URL).mock(
        return_value=httpx.Response(200, json=tool_answer("FeedbackDraft", payload))
    )
    with TestClient(llm_app) as client:
        response = client.post(
            "/v1/feedback/drafts", headers=auth(llm_app.state.demo_tokens.manager),
            json={"employee_id": "E012", "cycle": "latest", "date": AS_OF.isoformat()},
        )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["provenance"]["provider"] == "openai"
    assert on_loop == []


def test_the_index_finds_names_anywhere_and_ids_only_as_whole_tokens() -> None:
    index = NameIndex({"E01": "李强", "E012": "王磊", "A-1": "Ann Lee", "E9": "周"})
    assert index.people_in("王磊和李强谈过") == {"E012": "王磊", "E01": "李强"}
    assert index.people_in("见 C-E012-202611 与 XE01") == {"E012": "王磊"}
    assert index.people_in("A-1 met Ann Lee") == {"A-1": "Ann Lee"}
    assert index.people_in("周一") == {}  # one character is too common to be a name


def test_placeholders_do_not_depend_on_the_order_people_come_in() -> None:
    people = {"E1": "李强", "E2": "王磊", "E3": "陈静", "E4": "赵雪"}
    reversed_people = dict(reversed(list(people.items())))
    assert Pseudonymizer(people).mapping == Pseudonymizer(reversed_people).mapping


def test_an_import_that_renames_a_colleague_refreshes_the_index(llm_app: FastAPI) -> None:
    db = llm_app.state.engine
    with Session(db) as session:
        assert org_index(session).people_in("等欧阳娜娜确认") == {"X77": "欧阳娜娜"}
    csv = (
        "employee_id,name,role,level,department,team,manager_id,hire_date\n"
        "X77,欧阳明月,顾问,P3,财务部,财务,,\n"
    )
    with session_scope(db) as session:
        import_file(session, ImportKind.employees, csv.encode(), actor="test")
    with Session(db) as session:
        index = org_index(session)
    assert index.people_in("等欧阳明月确认") == {"X77": "欧阳明月"}
    assert index.people_in("等欧阳娜娜确认") == {}
