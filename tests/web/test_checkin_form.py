"""The check-in form: a refused field comes back beside its input, with everything typed kept."""

from __future__ import annotations

from html import unescape

from fastapi import FastAPI
from sqlmodel import Session, select

from coach.core.models import CheckIn
from coach.demo import DemoTokens
from tests.web.conftest import signed_in

WebApp = tuple[FastAPI, DemoTokens]


def _count(app: FastAPI) -> int:
    with Session(app.state.engine) as session:
        return len(session.exec(select(CheckIn).where(CheckIn.employee_id == "E012")).all())


def test_a_refused_check_in_is_shown_beside_its_field_with_the_input_kept(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    before = _count(app)
    typed = {"date": "", "obstacles": "测试环境排队两天", "next_actions": "周五前提交申请",
             "csrf_token": web.csrf}  # fmt: skip
    page = web.client.post("/team/E012/checkin", data=typed, follow_redirects=False)
    assert page.status_code == 422
    html = unescape(page.text)
    assert "请填写面谈日期" in html and 'id="date-error"' in html
    assert "测试环境排队两天" in html and "周五前提交申请" in html  # nothing typed is lost
    assert _count(app) == before

    dated = {**typed, "date": "2026-11-30"}
    page = web.client.post("/team/E012/checkin", data=dated, follow_redirects=False)
    html = unescape(page.text)
    assert page.status_code == 422 and "进展和经理反馈至少填写一项" in html
    assert 'id="progress-error"' in html and 'value="2026-11-30"' in html
    assert _count(app) == before

    saved = web.client.post("/team/E012/checkin", data={**dated, "progress": "回访完成"},
                            follow_redirects=False)  # fmt: skip
    assert saved.status_code in (302, 303) and _count(app) == before + 1


def test_an_overlong_note_is_refused_beside_it(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    page = web.client.post(
        "/team/E012/checkin",
        data={"date": "2026-11-30", "progress": "进展" * 3000, "csrf_token": web.csrf},
        follow_redirects=False,
    )
    assert page.status_code == 422
    assert 'id="progress-error"' in page.text and "5000" in unescape(page.text)
