"""The pages without a browser: sessions, CSRF, roles, gating, friendly errors, the secret key."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.main import create_app
from coach.checkins import CheckInCreate, create_checkin
from coach.core.db import engine_for, session_scope
from coach.core.errors import Forbidden
from coach.core.models import AuditEvent, CheckIn, Role
from coach.core.settings import Settings
from coach.demo import DemoTokens, seed_demo
from coach.drafts.store import Provenance, create_draft
from coach.org.users import Principal, session_signing_key
from coach.oversight.calibration import calibration
from coach.team import metric_history, team_overview
from tests.factories import upgraded
from tests.web.conftest import form_token, signed_in

WebApp = tuple[FastAPI, DemoTokens]


def _pending_feedback(app: FastAPI, text: str) -> str:
    with Session(app.state.engine) as session:
        draft = create_draft(
            session, kind="feedback", employee_id="E012", requester=None, inputs={},
            output={"summary": text}, provenance=Provenance(provider="offline"),
        )  # fmt: skip
        session.commit()
        return draft.id


def test_pages_redirect_to_sign_in_and_refuse_bearer_tokens(web_app: WebApp) -> None:
    app, tokens = web_app
    client = TestClient(app)
    response = client.get("/team", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/team"
    bearer = client.get("/me", headers={"Authorization": f"Bearer {tokens.employee}"})
    assert bearer.status_code == 401 and "<" not in bearer.text
    assert (
        client.get(
            "/v1/me/feedback", headers={"Authorization": f"Bearer {tokens.employee}"}
        ).status_code
        == 200
    )


def test_session_cookie_is_signed_httponly_and_lax(web_app: WebApp) -> None:
    app, tokens = web_app
    client = TestClient(app)
    csrf = form_token(client.get("/signin").text)
    response = client.post(
        "/signin", data={"token": tokens.manager, "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/team"
    cookie = response.headers["set-cookie"].lower()
    assert "coach_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert tokens.manager not in response.headers["set-cookie"]  # the token never goes in it
    forged = TestClient(app)
    forged.cookies.set(
        "coach_session", cookie.split("coach_session=")[1].split(";")[0][:-4] + "AAAA"
    )
    assert forged.get("/team", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_csrf_token_and_a_valid_token(web_app: WebApp) -> None:
    app, tokens = web_app
    client = TestClient(app)
    client.get("/signin")
    assert client.post("/signin", data={"token": tokens.manager}).status_code == 401
    csrf = form_token(client.get("/signin").text)
    assert (
        client.post("/signin", data={"token": "coach_nope", "csrf_token": csrf}).status_code == 401
    )


def test_next_never_leaves_the_site(web_app: WebApp) -> None:
    app, tokens = web_app
    client = TestClient(app)
    csrf = form_token(client.get("/signin").text)
    response = client.post(
        "/signin", data={"token": tokens.hr, "csrf_token": csrf, "next": "//evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/hr/dialogues"


def test_every_post_needs_the_csrf_token(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _pending_feedback(app, "待审批的反馈草稿内容甲")
    missing = web.client.post(f"/drafts/{draft_id}/approve", data={})
    assert missing.status_code == 403 and "CSRF" in missing.text
    wrong = web.client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": "x" * 43})
    assert wrong.status_code == 403
    ok = web.client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": web.csrf})
    assert ok.status_code == 200 and "已批准" in ok.text
    header = web.client.post(
        "/checkin/check", data={"manager_feedback": "还不错"}, headers={"X-CSRF-Token": web.csrf}
    )
    assert header.status_code == 200 and "<mark" in header.text


def test_employee_never_sees_a_pending_draft_page(web_app: WebApp) -> None:
    app, tokens = web_app
    secret = "只应经理看到的待审批内容乙"
    draft_id = _pending_feedback(app, secret)
    web = signed_in(app, tokens.employee)
    response = web.client.get(f"/drafts/{draft_id}")
    assert response.status_code == 403 and "没有权限" in response.text
    assert secret not in response.text
    for path in ("/me", "/drafts", "/team", "/team/E012"):
        assert secret not in web.client.get(path).text
    assert web.client.get("/drafts").status_code == 403


def test_reject_needs_a_reason(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _pending_feedback(app, "待审批的反馈草稿内容丙")
    refused = web.client.post(f"/drafts/{draft_id}/reject", data={"csrf_token": web.csrf})
    assert refused.status_code == 422 and "reason" in refused.text
    done = web.client.post(
        f"/drafts/{draft_id}/reject", data={"csrf_token": web.csrf, "reason": "证据不足"}
    )
    assert done.status_code == 200 and "已驳回" in done.text


def test_roles_get_friendly_403_and_unknown_pages_404(web_app: WebApp) -> None:
    app, tokens = web_app
    employee = signed_in(app, tokens.employee)
    assert employee.client.get("/hr/dialogues").status_code == 403
    assert employee.client.get("/team").status_code == 403
    missing = employee.client.get("/no-such-page", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "页面不存在" in missing.text
    api = employee.client.get("/v1/no-such-route")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    hr = signed_in(app, tokens.hr)
    assert hr.client.get("/team").status_code == 403  # the team list is a manager's


def test_hr_calibration_page_draws_every_manager_on_the_scale(web_app: WebApp) -> None:
    app, tokens = web_app
    page = signed_in(app, tokens.hr).client.get("/hr/calibration")
    assert page.status_code == 200 and "评分校准 · 2026H1" in page.text
    chart = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    with Session(app.state.engine) as session:
        managers = calibration(session, cycle="2026H1").managers
    # A hollow (raw) and a filled (adjusted) dot per manager, inside the 1–5 scale's axis.
    assert chart.count("<circle") == 2 * len(managers) > 0
    xs = [float(x) for x in re.findall(r'cx="([\d.]+)"', chart)]
    assert all(120 <= x <= 620 for x in xs)
    assert all(m.name in chart for m in managers)
    assert "Welch" in page.text and "少于 4 人不作判断" in page.text
    assert 'id="nine-box"' not in page.text  # the demo imports no potential ratings
    assert signed_in(app, tokens.manager).client.get("/hr/calibration").status_code == 403
    bad = signed_in(app, tokens.hr).client.get("/hr/calibration?cycle=H2")
    assert bad.status_code == 422


def test_calibration_page_before_any_review_scores_says_so(
    app: FastAPI, tokens: dict[str, str]
) -> None:
    page = signed_in(app, tokens["hr"]).client.get("/hr/calibration")
    assert page.status_code == 200 and "还没有导入绩效评分" in page.text and "<svg" not in page.text


def test_language_toggle_sets_a_cookie(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    english = web.client.get("/team?lang=en")
    assert "<h1>My team</h1>" in english.text and english.cookies.get("coach_lang") == "en"
    assert "<h1>My team</h1>" in web.client.get("/team").text
    assert re.search(r'<html lang="en">', web.client.get("/drafts").text)


def test_hr_csv_export_is_audited(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.hr)
    response = web.client.get("/hr/dialogues.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "经理编号" in response.text and "陈静" in response.text
    with Session(app.state.engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "dialogue_audit")
        ).all()
    assert [e.action for e in events] == ["export"]


def test_practice_upload_for_hr_only(web_app: WebApp) -> None:
    app, tokens = web_app
    doc = (
        "---\nid: walk-and-talk\ntitle: 边走边谈\ntags: [反馈]\napplies_to: [管理者]\n---\n\n"
        + "一起散步时做简短的一对一,轻松地讨论进展和障碍。" * 4
    )
    hr = signed_in(app, tokens.hr)
    uploaded = hr.client.post(
        "/practices", data={"csrf_token": hr.csrf},
        files={"file": ("walk.md", doc.encode(), "text/markdown")},
    )  # fmt: skip
    assert uploaded.status_code == 200 and "边走边谈" in uploaded.text
    manager = signed_in(app, tokens.manager)
    refused = manager.client.post(
        "/practices", data={"csrf_token": manager.csrf},
        files={"file": ("walk.md", doc.encode(), "text/markdown")},
    )  # fmt: skip
    assert refused.status_code == 403


# --- the coach functions behind the manager pages ----------------------------------------


def _manager(web_app: WebApp) -> Principal:
    app, _ = web_app
    with Session(app.state.engine) as session:
        from coach.core.models import User

        user = session.exec(select(User).where(User.name == "demo-manager")).one()
        assert user.id is not None
        return Principal(user_id=user.id, name=user.name, role=user.role, employee_id="E011")


def test_team_overview_lists_direct_reports(web_app: WebApp) -> None:
    app, _ = web_app
    manager = _manager(web_app)
    with Session(app.state.engine) as session:
        members = team_overview(session, manager, as_of=date(2026, 11, 16))
        assert [m.employee_id for m in members] == ["E012", "E013", "E014"]
        assert all(m.latest_checkin is not None for m in members)
        assert any(m.off_track for m in members)
        employee = Principal(user_id=0, name="e", role=Role.employee, employee_id="E012")
        with pytest.raises(Forbidden):
            team_overview(session, employee, as_of=date(2026, 11, 16))
        series = metric_history(session, manager, "E012")
        assert series and all(s.periods and len(s.periods) == len(s.values) for s in series)
        with pytest.raises(Forbidden):
            metric_history(session, employee, "E012")


def test_create_checkin_checks_feedback_and_is_audited(web_app: WebApp) -> None:
    app, _ = web_app
    manager = _manager(web_app)
    data = CheckInCreate(
        employee_id="E012",
        date=date(2026, 11, 20),
        progress="回访完成",
        manager_feedback="表现良好",
    )
    with Session(app.state.engine) as session:
        checkin = create_checkin(session, manager, data)
        session.commit()
        assert checkin.feedback_check is not None and checkin.feedback_check["vague"] is True
        assert checkin.manager_id == "E011"
        event = session.exec(
            select(AuditEvent).where(AuditEvent.object_id == checkin.checkin_id)
        ).one()
        assert event.action == "create" and event.object_type == "checkin"
        with pytest.raises(Forbidden):
            create_checkin(session, manager, data.model_copy(update={"employee_id": "E011"}))
        assert session.get(CheckIn, checkin.checkin_id) is not None


# --- the session secret ----------------------------------------------------------------


def _signing_key(settings: Settings) -> str:
    with session_scope(engine_for(upgraded(settings))) as session:
        return session_signing_key(session, settings)


def test_the_generated_key_is_kept_in_the_database_not_the_home(tmp_path: Path) -> None:
    first = _signing_key(Settings(home=tmp_path / "h"))
    assert len(first) >= 32
    assert _signing_key(Settings(home=tmp_path / "h")) == first
    assert not (tmp_path / "h" / "secret_key").exists()


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    settings = upgraded(Settings(home=tmp_path / "h"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        keys = set(pool.map(lambda _: _signing_key(settings), range(8)))
    assert len(keys) == 1


def test_a_key_an_earlier_version_kept_in_the_home_goes_on_signing(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "secret_key").write_text("k" * 48 + "\n", encoding="utf-8")
    assert _signing_key(Settings(home=tmp_path / "h")) == "k" * 48


def test_two_apps_on_one_database_accept_each_others_sessions(
    tmp_path: Path, database_url: str
) -> None:
    url = database_url or f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = (
        create_app(upgraded(Settings(home=tmp_path / name, database_url=url)))
        for name in ("machine-a", "machine-b")
    )
    with Session(first.state.engine) as session:
        tokens = seed_demo(session)
        session.commit()
    web = signed_in(first, tokens.manager)
    other = TestClient(second, cookies=dict(web.client.cookies))
    team = other.get("/team", follow_redirects=False)
    assert team.status_code == 200, team.headers.get("location")


@pytest.mark.parametrize("value", ["changeme", "secret", "short"])
def test_placeholder_secret_keys_are_refused(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COACH_SECRET_KEY", value)
    with pytest.raises(ValueError, match="COACH_SECRET_KEY"):
        Settings(home=tmp_path)


def test_a_set_secret_key_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COACH_SECRET_KEY", "k" * 40)
    assert _signing_key(Settings(home=tmp_path)) == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_check_page_renders_warnings_and_next_step_notes(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    headers = {"X-CSRF-Token": web.csrf}
    warned = web.client.post(
        "/checkin/check", data={"manager_feedback": "她刚怀孕,别让她负责新项目。"}, headers=headers
    )
    assert warned.status_code == 200
    assert 'class="warning"' in warned.text and "警告" in warned.text
    noted = web.client.post(
        "/checkin/check",
        data={"manager_feedback": "周一你把漏发的两箱货当天补发给了客户。"},
        headers=headers,
    )
    assert noted.status_code == 200
    assert 'class="note"' in noted.text and "下一步是什么?" in noted.text


def test_the_live_check_names_the_three_parts_the_form_asks_for(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    form = web.client.get("/team/E012/checkin").text
    hint = web.client.post(
        "/checkin/check",
        data={
            "manager_feedback": "周一你把漏发的两箱货当天补发给了客户,做得好。下次发货前请先核对清单。",
            "support_needed": "需要仓库系统的培训",
        },
        headers={"X-CSRF-Token": web.csrf},
    ).text
    for label in ("正面事例", "改进建议", "资源支持"):
        assert label in form and label in hint
    for other in ("情境", "具体行为"):
        assert other not in hint and other not in form
    assert re.search(r'id="part-resource">✓', hint)
