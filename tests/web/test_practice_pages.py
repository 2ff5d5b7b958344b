"""A practice of the library is a page every signed-in role can read: Markdown rendered,
everything in it escaped; a development plan links each practice it suggests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from coach.core.settings import Settings
from coach.demo import DemoTokens, seed_demo
from coach.knowledge import HashingEmbedder, ensure_shipped_library, open_knowledge_base
from coach.llm import OpenAIEngine
from tests.factories import upgraded
from tests.web.conftest import signed_in
from tests.web.test_readable_pages import _approve_everything_for_e012, _visible

WebApp = tuple[FastAPI, DemoTokens]
HOSTILE = """---
id: hostile-practice
title: 带脚本的实践
tags: [测试]
applies_to: [管理者]
---
**是什么**：一段 <script>alert("x")</script> 文字。

1. 第一步
2. [点我](javascript:alert(1))

<img src=x onerror=alert(2)>
"""


def test_every_role_reads_a_practice_rendered_from_markdown(web_app: WebApp) -> None:
    app, tokens = web_app
    for token in (tokens.employee, tokens.manager, tokens.hr, tokens.admin):
        page = signed_in(app, token).client.get("/practices/check-in-cadence")
        assert page.status_code == 200, page.text[:300]
        html = page.text
        assert '<h1 id="practice-title">周小结、月回顾、季评估的跟进节奏</h1>' in html
        assert "<strong>是什么</strong>" in html and re.search(r"<ol>\s*<li>周小结", html)
    signed_out = TestClient(app).get("/practices/check-in-cadence", follow_redirects=False)
    assert signed_out.status_code == 303 and "/signin" in signed_out.headers["location"]


def test_an_unknown_practice_is_a_friendly_404(web_app: WebApp) -> None:
    app, tokens = web_app
    page = signed_in(app, tokens.employee).client.get(
        "/practices/no-such-practice", headers={"accept": "text/html"}
    )
    assert page.status_code == 404 and "no-such-practice" in page.text


def test_html_and_script_links_in_a_practice_show_as_text(web_app: WebApp) -> None:
    app, tokens = web_app
    hr = signed_in(app, tokens.hr)
    uploaded = hr.client.post(
        "/practices",
        data={"csrf_token": hr.csrf},
        files={"file": ("hostile.md", HOSTILE.encode(), "text/markdown")},
    )
    assert uploaded.status_code == 200, uploaded.text[:500]
    html = signed_in(app, tokens.employee).client.get("/practices/hostile-practice").text
    body = html.split('class="prose"', 1)[1]
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    assert "<img" not in body and "onerror=alert(2)&gt;" in body
    assert 'href="javascript:' not in body


def test_a_development_plan_links_each_practice_to_its_page(web_app: WebApp) -> None:
    app, tokens = web_app
    _approve_everything_for_e012(signed_in(app, tokens.manager))
    employee = signed_in(app, tokens.employee)
    me = employee.client.get("/me").text
    links = re.findall(r'<a href="/practices/([a-z0-9-]+)">阅读实践:([^<]+)</a>', me)
    assert len(links) >= 2, _visible(me)[:2000]
    for doc_id, title in links:
        practice = employee.client.get(f"/practices/{doc_id}")
        assert practice.status_code == 200 and title in practice.text


def _reranking_app(tmp_path: Path) -> tuple[FastAPI, DemoTokens]:
    knowledge = open_knowledge_base(chroma_path=tmp_path / "chroma", embedder=HashingEmbedder())
    ensure_shipped_library(knowledge)
    llm = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1", max_retries=0)
    app = create_app(upgraded(Settings(home=tmp_path)), knowledge=knowledge, chat_engine=llm)
    with Session(app.state.engine) as session:
        tokens = seed_demo(session)
        session.commit()
    return app, tokens


def _titles(html: str) -> list[str]:
    return re.findall(r'<article class="hit"><h3><a href="/practices/([^"]+)">', html)


def test_the_search_page_offers_a_rerank_only_when_a_model_is_configured(
    web_app: WebApp,
) -> None:
    app, tokens = web_app
    page = signed_in(app, tokens.manager).client.get("/practices", params={"q": "复盘"}).text
    assert 'name="rerank"' not in page and _titles(page)


@respx.mock
def test_the_search_page_shows_the_models_order_and_says_so(tmp_path: Path) -> None:
    app, tokens = _reranking_app(tmp_path)
    client = signed_in(app, tokens.manager).client
    plain = client.get("/practices", params={"q": "5 Why 根因分析"}).text
    offline = _titles(plain)
    assert 'name="rerank"' in plain and len(offline) == 8
    arguments = json.dumps({"ranking": [offline[-1]]})
    respx.post("http://llm.test/v1/chat/completions").mock(return_value=httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
            "index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": None, "tool_calls": [{
                    "id": "c1", "type": "function",
                    "function": {"name": "Ranking", "arguments": arguments}}]}}]}))  # fmt: skip
    asked = client.get("/practices", params={"q": "5 Why 根因分析", "rerank": "true"}).text
    assert _titles(asked) == [offline[-1], *offline[:-1]]
    assert "按 m 的判断重新排序" in asked and 'name="rerank" value="true" checked' in asked


@respx.mock
def test_a_failed_rerank_keeps_the_offline_order_and_gives_the_reason(tmp_path: Path) -> None:
    app, tokens = _reranking_app(tmp_path)
    client = signed_in(app, tokens.manager).client
    offline = _titles(client.get("/practices", params={"q": "5 Why 根因分析"}).text)
    respx.post("http://llm.test/v1/chat/completions").mock(return_value=httpx.Response(500))
    asked = client.get("/practices", params={"q": "5 Why 根因分析", "rerank": "true"}).text
    assert _titles(asked) == offline and "保留离线排序" in asked
