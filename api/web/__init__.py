"""Web pages for managers, employees and HR, served by the same app as the JSON API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from coach.org.users import SESSION_LIFETIME

from . import employee, hr, manager, pages, practice
from .core import STATIC_DIR, error_page

SESSION_COOKIE = "coach_session"


def _is_api(path: str) -> bool:
    return path.startswith(("/v1/", "/docs", "/redoc", "/openapi.json", "/healthz", "/static/"))


def install_web(app: FastAPI, *, secret_key: str) -> None:
    """Add the pages, their static files, the session cookie (signed with `secret_key`) and
    HTML error pages to the app."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=False,
    )  # fmt: skip  (Starlette always sets HttpOnly on this cookie)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (pages, manager, employee, hr, practice):
        app.include_router(module.router)

    @app.exception_handler(StarletteHTTPException)
    async def html_errors(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown URLs outside the API get the friendly page; the API keeps its JSON errors.
        if _is_api(request.url.path) or "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        return error_page(request, exc.status_code, str(exc.detail))
