"""A practice of the library is a page every signed-in role can read: Markdown rendered,
everything in it escaped; a development plan links each practice it suggests."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from coach.demo import DemoTokens
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
