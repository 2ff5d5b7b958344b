"""Approved AI content carries a visible label on the employee's page and a machine-readable
one in the API and the data export: AI-drafted, approved by whom (by name) and when."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from coach.core.models import utcnow
from coach.demo import DemoTokens
from coach.oversight.data_rights import export_person
from tests.factories import auth
from tests.web.conftest import WebClient, signed_in
from tests.web.test_readable_pages import _approve_everything_for_e012, _visible

WebApp = tuple[FastAPI, DemoTokens]


def _generate(web: WebClient, kind: str) -> str:
    made = web.client.post(
        f"/team/E012/generate/{kind}", data={"csrf_token": web.csrf}, follow_redirects=False
    )
    return str(made.headers["location"].rsplit("/", 1)[-1])


def test_me_api_items_carry_a_machine_readable_ai_label(web_app: WebApp) -> None:
    app, tokens = web_app
    _approve_everything_for_e012(signed_in(app, tokens.manager))
    api = TestClient(app)
    feedback = api.get("/v1/me/feedback", headers=auth(tokens.employee)).json()["data"]
    plans = api.get("/v1/me/development", headers=auth(tokens.employee)).json()["data"]
    targets = api.get("/v1/me/targets", headers=auth(tokens.employee)).json()
    labelled = [*feedback, *plans, *targets["approved"], *targets["official"]]
    assert len(labelled) >= 4
    for item in labelled:
        label = item["ai_label"]
        assert label["ai_generated"] is True and label["approved_by"] == "陈静", label
        assert label["approved_at"].startswith(utcnow().date().isoformat())
        assert label["provider"] == "offline" and label["model"]
        assert label["edited"] is False


def test_me_page_shows_the_visible_label_in_both_languages(web_app: WebApp) -> None:
    app, tokens = web_app
    _approve_everything_for_e012(signed_in(app, tokens.manager))
    employee = signed_in(app, tokens.employee)
    today = utcnow().date()
    text = _visible(employee.client.get("/me").text)
    label = f"AI 辅助起草 · 经 陈静 于 {today.year}年{today.month}月{today.day}日 审批"
    # One per official target row, per approved feedback and per development plan.
    assert text.count(label) >= 3, text[:2000]
    english = _visible(employee.client.get("/me?lang=en").text)
    assert f"AI-assisted draft · approved by 陈静 on {today.isoformat()}" in english


def test_the_data_export_labels_approved_drafts_only(web_app: WebApp) -> None:
    app, tokens = web_app
    manager = signed_in(app, tokens.manager)
    approved = _generate(manager, "feedback")
    manager.client.post(f"/drafts/{approved}/approve", data={"csrf_token": manager.csrf})
    pending = _generate(manager, "development")
    with Session(app.state.engine) as session:
        data = export_person(session, employee_id="E012", actor="test")
    drafts = {d["id"]: d for d in data.drafts}
    label = drafts[approved]["ai_label"]
    assert label["ai_generated"] is True and label["approved_by"] == "陈静"
    assert label["approved_at"].startswith(utcnow().date().isoformat())
    assert drafts[pending]["ai_label"] is None
