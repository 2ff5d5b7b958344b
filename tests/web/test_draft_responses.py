"""The employee answers approved AI content with a comment or an objection: validated,
recorded in the audit chain, shown to them, to their manager and to HR, exported and erased."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from coach.core.audit import verify_chain
from coach.core.models import AuditEvent, DraftResponse
from coach.demo import DemoTokens
from coach.oversight.data_rights import erase_person, export_person
from tests.factories import auth
from tests.web.conftest import WebClient, form_token, signed_in
from tests.web.test_readable_pages import _visible

WebApp = tuple[FastAPI, DemoTokens]
OBJECTION = "第二条说我没有跟进客户,但 10 月 12 日的回访记录在系统里。"


def _draft(manager: WebClient, kind: str, *, approve: bool = True) -> str:
    made = manager.client.post(
        f"/team/E012/generate/{kind}", data={"csrf_token": manager.csrf}, follow_redirects=False
    )
    draft_id = str(made.headers["location"].rsplit("/", 1)[-1])
    if approve:
        manager.client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": manager.csrf})
    return draft_id


def _post(api: TestClient, token: str, draft_id: str, body: object) -> tuple[int, object]:
    response = api.post(f"/v1/me/drafts/{draft_id}/responses", json=body, headers=auth(token))
    return response.status_code, response.json()


def test_an_employee_objects_through_the_api_and_it_is_audited(web_app: WebApp) -> None:
    app, tokens = web_app
    draft_id = _draft(signed_in(app, tokens.manager), "feedback")
    api = TestClient(app)
    status, body = _post(api, tokens.employee, draft_id, {"kind": "objection", "text": OBJECTION})
    assert status == 201, body
    assert isinstance(body, dict)
    assert body["kind"] == "objection" and body["text"] == OBJECTION and body["author"] == "李强"
    listed = api.get(f"/v1/me/drafts/{draft_id}/responses", headers=auth(tokens.employee))
    assert [r["text"] for r in listed.json()["data"]] == [OBJECTION]
    with Session(app.state.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.object_id == draft_id)).all()
        assert [e.action for e in events][-1] == "draft.objection"
        assert events[-1].actor == "employee:demo-employee"
        assert events[-1].detail == {"response_id": body["id"], "kind": "objection"}
        assert verify_chain(session).ok


def test_bad_answers_get_a_clear_error_and_store_nothing(web_app: WebApp) -> None:
    app, tokens = web_app
    manager = signed_in(app, tokens.manager)
    approved, pending = _draft(manager, "feedback"), _draft(manager, "development", approve=False)
    api = TestClient(app)
    for body, words in (
        ({"kind": "comment", "text": "   "}, "text"),
        ({"kind": "complaint", "text": "x"}, "kind"),
        ({"kind": "comment", "text": "长" * 2001}, "2000"),
        ({"text": "x"}, "kind"),
    ):
        status, detail = _post(api, tokens.employee, approved, body)
        assert status == 422 and words in str(detail), (body, detail)
    assert _post(api, tokens.employee, pending, {"kind": "comment", "text": "x"})[0] == 403
    # Only the person the content is about may answer it, not the manager who approved it.
    assert _post(api, tokens.manager, approved, {"kind": "comment", "text": "x"})[0] == 403
    assert _post(api, tokens.employee, "f" * 32, {"kind": "comment", "text": "x"})[0] == 404
    with Session(app.state.engine) as session:
        assert session.exec(select(DraftResponse)).all() == []


def test_the_answer_shows_on_me_and_to_the_manager_and_hr(web_app: WebApp) -> None:
    app, tokens = web_app
    manager = signed_in(app, tokens.manager)
    draft_id = _draft(manager, "development")
    employee = signed_in(app, tokens.employee)
    done = employee.client.post(
        f"/me/drafts/{draft_id}/responses",
        data={"kind": "objection", "text": OBJECTION, "csrf_token": employee.csrf},
    )
    assert done.status_code == 200 and "已记录" in done.text
    assert OBJECTION in _visible(done.text) and "异议" in _visible(done.text)
    for viewer in (manager, signed_in(app, tokens.hr)):
        page = _visible(viewer.client.get(f"/drafts/{draft_id}").text)
        assert "员工的意见与异议" in page and OBJECTION in page and "李强" in page


def test_an_empty_answer_on_the_page_keeps_the_kind_and_shows_the_error_beside_it(
    web_app: WebApp,
) -> None:
    app, tokens = web_app
    draft_id = _draft(signed_in(app, tokens.manager), "feedback")
    employee = signed_in(app, tokens.employee)
    refused = employee.client.post(
        f"/me/drafts/{draft_id}/responses",
        data={
            "kind": "objection",
            "text": "  ",
            "csrf_token": form_token(employee.client.get("/me").text),
        },
    )
    assert refused.status_code == 422
    html = refused.text
    assert f'id="error-{draft_id}"' in html and "不能为空" in html
    assert f'aria-describedby="error-{draft_id}"' in html
    assert 'value="objection" checked' in html


def test_answers_are_exported_and_erased_with_the_person(web_app: WebApp) -> None:
    app, tokens = web_app
    draft_id = _draft(signed_in(app, tokens.manager), "feedback")
    _post(TestClient(app), tokens.employee, draft_id, {"kind": "comment", "text": OBJECTION})
    with Session(app.state.engine) as session:
        exported = export_person(session, employee_id="E012", actor="test")
        assert [r["text"] for r in exported.draft_responses] == [OBJECTION]
        report = erase_person(session, employee_id="E012", actor="test")
        session.commit()
        assert report.changed["draft_responses"] == 1
        (row,) = session.exec(select(DraftResponse)).all()
        assert row.text == "" and row.kind == "comment"
        assert verify_chain(session).ok
