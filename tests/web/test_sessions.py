"""Web sessions live on the server: signing out, disabling or rotating ends every copy."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from coach.core.models import WebSession, utcnow
from coach.demo import DemoTokens
from coach.org.users import rotate_token, set_disabled
from tests.web.conftest import WebClient, signed_in

WebApp = tuple[FastAPI, DemoTokens]


def _copy_of(app: FastAPI, web: WebClient) -> TestClient:
    copy = TestClient(app)
    copy.cookies.set("coach_session", str(web.client.cookies.get("coach_session")))
    return copy


def _signed_in(client: TestClient) -> bool:
    return client.get("/team", follow_redirects=False).status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    copy = _copy_of(app, web)
    assert _signed_in(copy)
    response = web.client.post("/signout", data={"csrf_token": web.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert not _signed_in(copy)
    assert copy.get("/team", follow_redirects=False).headers["location"].startswith("/signin")


def test_signing_out_leaves_the_users_other_sessions(web_app: WebApp) -> None:
    app, tokens = web_app
    laptop, phone = signed_in(app, tokens.manager), signed_in(app, tokens.manager)
    laptop.client.post("/signout", data={"csrf_token": laptop.csrf})
    assert not _signed_in(laptop.client) and _signed_in(phone.client)


def test_disabling_or_rotating_ends_web_sessions(web_app: WebApp) -> None:
    app, tokens = web_app
    for end in (
        lambda s: set_disabled(s, name="demo-manager", disabled=True, actor="cli"),
        lambda s: rotate_token(s, name="demo-manager", actor="cli"),
    ):
        web = signed_in(app, tokens.manager)
        assert _signed_in(web.client)
        with Session(app.state.engine) as session:
            end(session)
            session.commit()
        assert not _signed_in(web.client)
        with Session(app.state.engine) as session:
            _, tokens.manager = rotate_token(session, name="demo-manager", actor="cli")
            set_disabled(session, name="demo-manager", disabled=False, actor="cli")
            session.commit()


def test_an_expired_session_is_refused_and_swept_at_the_next_sign_in(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    with Session(app.state.engine) as session:
        [row] = session.exec(select(WebSession)).all()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
        expired = row.id_hash
    assert not _signed_in(web.client)
    signed_in(app, tokens.hr)
    with Session(app.state.engine) as session:
        assert session.get(WebSession, expired) is None
        assert len(session.exec(select(WebSession)).all()) == 1
