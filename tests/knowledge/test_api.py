"""The practice-library endpoints, on a knowledge base with a cheap deterministic embedder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.main import create_app
from coach.core.models import AuditEvent, LLMCall
from coach.core.settings import Settings
from coach.knowledge import HashingEmbedder, ensure_shipped_library, open_knowledge_base
from coach.llm import DatabaseCallLog, OpenAIEngine
from tests.factories import auth, seed_org, upgraded

DOC = """---
id: weekly-demo
title: 每周演示会
tags: [过程管理, 反馈]
applies_to: [团队]
---
每周五下午团队向业务方演示本周完成的功能,当场收集反馈,下周一排进待办。
"""


@pytest.fixture
def setup(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    kb = open_knowledge_base(chroma_path=tmp_path / "chroma", embedder=HashingEmbedder(dim=256))
    ensure_shipped_library(kb)
    app = create_app(upgraded(settings), knowledge=kb)
    with Session(app.state.engine) as session:
        tokens = seed_org(session)
        session.commit()
    with TestClient(app) as client:
        yield client, tokens


def test_search_returns_documents(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = setup
    response = client.post("/v1/practices/search", headers=auth(tokens["employee"]),
                           json={"query": "5 Why 根因分析", "k": 3})  # fmt: skip
    results = response.json()["results"]
    assert response.status_code == 200 and len(results) == 3
    assert {"id", "title", "score", "snippet"} <= set(results[0])
    assert len({r["id"] for r in results}) == 3  # one hit per document


def test_upload_markdown_then_list_and_delete(
    setup: tuple[TestClient, dict[str, str]], settings: Settings
) -> None:
    client, tokens = setup
    files = {"file": ("weekly-demo.md", DOC.encode(), "text/markdown")}
    response = client.post("/v1/knowledge/documents", headers=auth(tokens["hr"]), files=files,
                           data={"collection": "acme"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
    again = client.post(
        "/v1/knowledge/documents",
        headers=auth(tokens["hr"]),
        files=files,
        data={"collection": "acme"},
    )
    assert again.json()["unchanged"] == 1 and again.json()["chunks"] == 0
    listed = client.get(
        "/v1/knowledge/documents", headers=auth(tokens["manager"]), params={"collection": "acme"}
    ).json()
    assert [d["id"] for d in listed["data"]] == ["weekly-demo"] and listed["count"] == 1
    hits = client.post("/v1/practices/search", headers=auth(tokens["manager"]),
                       json={"query": "演示会", "collection": "acme"}).json()["results"]  # fmt: skip
    assert hits[0]["id"] == "weekly-demo"
    assert client.delete("/v1/knowledge/documents/weekly-demo", headers=auth(tokens["admin"]),
                         params={"collection": "acme"}).status_code == 204  # fmt: skip
    assert client.delete("/v1/knowledge/documents/weekly-demo", headers=auth(tokens["admin"]),
                         params={"collection": "acme"}).status_code == 404  # fmt: skip
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        actions = {e.action for e in session.exec(select(AuditEvent)).all()}
    assert {"knowledge.upsert", "knowledge.delete"} <= actions


def test_json_document(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = setup
    body = {
        "id": "pair-review",
        "title": "结对复盘",
        "body": "两人一组复盘上周的客户拜访。",
        "tags": ["复盘"],
        "collection": "acme",
    }
    assert (
        client.post("/v1/knowledge/documents", headers=auth(tokens["admin"]), json=body).json()[
            "added"
        ]
        == 1
    )


def test_bad_front_matter_names_file_and_field(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = setup
    bad = DOC.replace("applies_to: [团队]", "applies_to: [外星人]")
    files = [
        ("file", ("good.md", DOC.encode(), "text/markdown")),
        ("file", ("bad.md", bad.encode(), "text/markdown")),
    ]
    response = client.post(
        "/v1/knowledge/documents",
        headers=auth(tokens["hr"]),
        files=files,
        data={"collection": "acme"},
    )
    detail = response.json()["detail"]
    assert (
        response.status_code == 422
        and detail["file"] == "bad.md"
        and detail["field"].startswith("applies_to")
    )
    listed = client.get(
        "/v1/knowledge/documents", headers=auth(tokens["hr"]), params={"collection": "acme"}
    ).json()
    assert listed["count"] == 0  # the good file was not ingested either


def test_writing_needs_hr_or_admin(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = setup
    files = {"file": ("weekly-demo.md", DOC.encode(), "text/markdown")}
    for role in ("manager", "employee"):
        assert (
            client.post(
                "/v1/knowledge/documents", headers=auth(tokens[role]), files=files
            ).status_code
            == 403
        )
        assert (
            client.delete(
                "/v1/knowledge/documents/five-whys", headers=auth(tokens[role])
            ).status_code
            == 403
        )


def test_bad_search_input(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = setup
    token = auth(tokens["employee"])
    assert client.post("/v1/practices/search", headers=token, json={"query": ""}).status_code == 422
    assert (
        client.post("/v1/practices/search", headers=token, json={"query": "x", "k": 0}).status_code
        == 422
    )
    response = client.post(
        "/v1/practices/search", headers=token, json={"query": "x", "collection": "a"}
    )
    assert response.status_code == 422 and "collection" in str(response.json()["detail"])


def _ranking(ranking: list[str]) -> dict[str, object]:
    arguments = json.dumps({"ranking": ranking})
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
        "index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": None, "tool_calls": [{
            "id": "c1", "type": "function",
            "function": {"name": "Ranking", "arguments": arguments}}]}}]}  # fmt: skip


@respx.mock
def test_search_with_llm_rerank_returns_the_models_order_and_logs_the_call(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    kb = open_knowledge_base(chroma_path=tmp_path / "chroma", embedder=HashingEmbedder(dim=256))
    ensure_shipped_library(kb)
    call_log = DatabaseCallLog(engine)
    llm = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1",
                       max_retries=0, call_log=call_log)  # fmt: skip
    app = create_app(upgraded(settings), knowledge=kb, chat_engine=llm)
    with Session(app.state.engine) as session:
        tokens = seed_org(session)
        session.commit()
    query = {"query": "5 Why 根因分析", "k": 2}
    with TestClient(app) as client:
        plain = client.post("/v1/practices/search", headers=auth(tokens["manager"]), json=query)
        offline = [hit["id"] for hit in plain.json()["results"]]
        wider = client.post("/v1/practices/search", headers=auth(tokens["manager"]),
                            json={**query, "k": 8}).json()["results"]  # fmt: skip
        lifted = wider[-1]["id"]  # eighth offline: outside the first two the caller asked for
        route = respx.post("http://llm.test/v1/chat/completions").mock(
            return_value=httpx.Response(200, json=_ranking([lifted]))
        )
        asked = client.post("/v1/practices/search", headers=auth(tokens["manager"]),
                            json={**query, "llm_rerank": True}).json()  # fmt: skip
    assert plain.json()["rerank"] is None and route.call_count == 1
    assert [hit["id"] for hit in asked["results"]] == [lifted, offline[0]]
    assert asked["rerank"]["used"] is True and asked["rerank"]["offline_ids"][:2] == offline
    call_log.flush()
    with Session(engine) as session:
        calls = session.exec(select(LLMCall)).all()
    assert [c.purpose for c in calls] == ["knowledge.rerank"]


def test_search_with_llm_rerank_and_no_model_keeps_the_offline_order(
    setup: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = setup
    query = {"query": "5 Why 根因分析", "k": 3}
    plain = client.post("/v1/practices/search", headers=auth(tokens["employee"]), json=query)
    asked = client.post("/v1/practices/search", headers=auth(tokens["employee"]),
                        json={**query, "llm_rerank": True}).json()  # fmt: skip
    assert asked["results"] == plain.json()["results"]
    assert asked["rerank"]["used"] is False and asked["rerank"]["reason"]
