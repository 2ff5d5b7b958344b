"""Sign-in, sign-out and the home page that sends each role to its start page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from coach.core.models import Role
from coach.org.users import authenticate, end_web_session, start_web_session

from .core import PostUser, WebRoute, WebSession, redirect, render, web_user
from .core import SignInRequired as _SignInRequired

router = APIRouter(route_class=WebRoute, include_in_schema=False)

HOME = {
    Role.manager: "/team",
    Role.employee: "/me",
    Role.hr: "/hr/dialogues",
    Role.admin: "/hr/events",
}


def _safe_next(target: str) -> str:
    # Only paths on this site: never `//evil.example` or an absolute URL.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/")
def home(request: Request, session: WebSession) -> Response:
    """Each role's start page."""
    try:
        user = web_user(request, session)
    except _SignInRequired:
        return redirect(request, "/signin")
    return redirect(request, HOME[user.role])


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return render(request, "signin.html", {"next": _safe_next(next), "error": False})


@router.post("/signin")
def signin(
    request: Request,
    session: WebSession,
    token: Annotated[str, Form(max_length=500)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Exchange an API token for a signed session cookie."""
    expected = str(request.session.get("csrf") or "")
    principal = authenticate(session, token.strip())
    if not expected or not secrets.compare_digest(csrf_token, expected) or principal is None:
        return render(
            request, "signin.html", {"next": _safe_next(next), "error": True}, status_code=401
        )
    request.session.clear()  # a fresh session (and CSRF token) on every sign-in
    request.session.update(
        sid=start_web_session(session, user_id=principal.user_id),
        csrf=secrets.token_urlsafe(32),
    )
    target = _safe_next(next)
    return redirect(request, HOME[principal.role] if target == "/" else target)


@router.post("/signout")
def signout(request: Request, session: WebSession, _: PostUser) -> Response:
    """End the session on the server, so a copy of the cookie stops working too."""
    end_web_session(session, str(request.session.get("sid")))
    request.session.clear()
    return redirect(request, "/signin")
