"""HR reads the audit trail in words: actions in Chinese, people by name, details as fields,
short ids, and filters by person, action and a range of days."""

from __future__ import annotations

import re

from fastapi import FastAPI

from coach.core.models import utcnow
from coach.demo import DemoTokens
from tests.web.conftest import WebClient, signed_in
from tests.web.test_readable_pages import _visible

WebApp = tuple[FastAPI, DemoTokens]


def _approved_feedback(manager: WebClient) -> str:
    made = manager.client.post(
        "/team/E012/generate/feedback", data={"csrf_token": manager.csrf}, follow_redirects=False
    )
    draft_id = str(made.headers["location"].rsplit("/", 1)[-1])
    manager.client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": manager.csrf})
    return draft_id


def _cells(html: str) -> str:
    return _visible(html.split("<tbody>", 1)[1].split("</tbody>", 1)[0])


def test_events_read_as_words_with_names_and_no_raw_json(web_app: WebApp) -> None:
    app, tokens = web_app
    draft_id = _approved_feedback(signed_in(app, tokens.manager))
    hr = signed_in(app, tokens.hr)
    html = hr.client.get("/hr/events", params={"object_id": draft_id}).text
    text = _cells(html)
    assert "草稿已生成" in text and "草稿已批准" in text, text
    assert "陈静(经理)" in text and "李强" in text and "反馈草稿" in text
    for raw in ("draft.ready", "draft.approve", "manager:demo-manager", "employee_id",
                "E012", '{"', draft_id):  # fmt: skip
        assert raw not in text, raw
    assert draft_id[:8] + "…" in text
    assert f'href="/drafts/{draft_id}"' in html


def test_filters_by_person_action_and_days(web_app: WebApp) -> None:
    app, tokens = web_app
    _approved_feedback(signed_in(app, tokens.manager))
    hr = signed_in(app, tokens.hr)
    page = hr.client.get("/hr/events").text
    assert '<option value="manager:demo-manager">陈静(经理)</option>' in page
    assert '<option value="draft.approve">草稿已批准</option>' in page
    by_manager = _cells(hr.client.get("/hr/events", params={"actor": "manager:demo-manager"}).text)
    assert "陈静(经理)" in by_manager and "系统" not in by_manager
    approvals = _cells(hr.client.get("/hr/events", params={"action": "draft.approve"}).text)
    assert approvals.count("草稿已批准") == 1 and "草稿已生成" not in approvals
    today = utcnow().date()
    within = hr.client.get("/hr/events", params={"since": today.isoformat(),
                                                 "until": today.isoformat()}).text  # fmt: skip
    assert "草稿已批准" in _cells(within)
    before = hr.client.get("/hr/events", params={"until": "2020-01-01"}).text
    assert "<tbody>" not in before and "没有符合条件的事件" in before


def test_a_bad_day_range_is_shown_beside_the_field_with_the_input_kept(web_app: WebApp) -> None:
    app, tokens = web_app
    hr = signed_in(app, tokens.hr)
    reversed_range = hr.client.get(
        "/hr/events", params={"since": "2026-12-01", "until": "2026-11-01"}
    )
    assert reversed_range.status_code == 422
    html = reversed_range.text
    assert re.search(r'id="until-error"[^>]*>结束日期不能早于开始日期', html)
    assert 'value="2026-12-01"' in html and 'value="2026-11-01"' in html
    wrong = hr.client.get("/hr/events", params={"since": "2026-13-45"})
    assert wrong.status_code == 422 and 'id="since-error"' in wrong.text
