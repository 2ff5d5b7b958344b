"""What every page shares: templates, language, the signed-in user, CSRF, friendly errors.

Pages authenticate with a signed session cookie (Starlette's SessionMiddleware) holding the
id of a server-side web session (`coach.org.users`), so signing out, disabling a user or rotating
their token ends the session even for a copy of the cookie. The JSON API keeps its Bearer
tokens; a page never accepts one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy.exc import DBAPIError

from coach.core.db import busy_from
from coach.core.errors import CoachError, Forbidden
from coach.core.models import Role
from coach.drafts.registry import kind_label
from coach.org.users import Principal, people_behind, web_session_principal

from ..deps import SessionDep
from ..errors import status_for
from .i18n import LANGS, Lang, date_text, field_label, translator, value_label
from .present import number_text

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
LANG_COOKIE = "coach_lang"

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)


@pass_context
def _day(context: Context, value: dt.date, time: bool = False) -> str:
    return date_text(value, context["lang"], time=time)


# Dates are written by the app, never left to the browser's locale.
_env.filters["day"] = _day
_env.filters["number"] = number_text
templates = Jinja2Templates(env=_env)


class SignInRequired(Exception):
    """The request has no valid web session."""


def lang_of(request: Request) -> Lang:
    """`?lang=` if given, else the language cookie, else Chinese."""
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return wanted if wanted in LANGS else "zh"  # type: ignore[return-value]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def flash(request: Request, message: str, kind: Literal["ok", "error"] = "ok") -> None:
    """A message shown once on the next page."""
    request.session["flash"] = {"message": message, "kind": kind}


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: Principal | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page or fragment with the language, user, CSRF token and any flash message."""
    lang = lang_of(request)
    t = translator(lang)
    base = {
        "request": request, "lang": lang, "t": t, "user": user,
        "csrf_token": csrf_token(request), "flash": request.session.pop("flash", None),
        "Role": Role, "label": lambda key: field_label(key, lang),
        "signed_in_as": request.state.person_name if user else "",
        "value_label": lambda key, value: value_label(key, value, lang),
        "kind_label": lambda kind: kind_label(kind, lang),
        "lang_url": lambda code: str(request.url.include_query_params(lang=code)),
    }  # fmt: skip
    response = templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code, headers=headers
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def redirect(request: Request, url: str) -> Response:
    """303 to `url`; htmx requests get an HX-Redirect instead, which htmx follows itself."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# --- database and user ------------------------------------------------------------------


# Committed before the response is sent, so the page a redirect leads to sees the change.
WebSession = SessionDep


def web_user(request: Request, session: WebSession) -> Principal:
    """The signed-in user of this browser session."""
    session_id = request.session.get("sid")
    principal = web_session_principal(session, str(session_id)) if session_id else None
    if principal is not None:
        # The header names the person, not the account ("陈静", not "demo-manager").
        request.state.person_name = people_behind(session, [principal.name]).get(
            principal.name, principal.name
        )
    # Ends the read's transaction: a page that then parses an upload or waits on an LLM must
    # not hold one open (PostgreSQL ends a transaction left idle for too long).
    session.commit()
    if principal is None:
        raise SignInRequired
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


async def _checked_user(request: Request, user: WebUser) -> Principal:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.method == "POST":
        sent = str((await request.form()).get("csrf_token") or "")
    expected = str(request.session.get("csrf") or "")
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
    return user


# For every POST: a signed-in user *and* a CSRF token matching their session.
PostUser = Annotated[Principal, Depends(_checked_user)]


def require_role(user: Principal, *roles: Role) -> None:
    """Refuse a page to other roles with the friendly 403 page."""
    if user.role not in roles:
        raise Forbidden(f"this page is for {', '.join(r.value for r in roles)}")


# --- errors as pages --------------------------------------------------------------------


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """The friendly error page (403, 404, ...) in the user's language."""
    return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)


class WebRoute(APIRoute):
    """A page route: domain errors become friendly pages; no session means the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if request.headers.get("authorization"):
                    # An API client with a Bearer token: pages are for browser sessions only.
                    return PlainTextResponse("web pages need a browser session: /signin", 401)
                return redirect(request, f"/signin?next={quote(request.url.path)}")
            except CoachError as exc:
                return error_page(request, status_for(exc), str(exc))
            except DBAPIError as exc:
                busy = busy_from(exc)
                if busy is None:
                    raise
                return error_page(request, status_for(busy), str(busy))
            except HTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail))
            except RequestValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
                return error_page(request, 422, f"please check: {fields}")

        return page
