"""Every response carries the security headers; only the API docs may run inline scripts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from starlette.responses import Response

from tests.factories import auth

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _get_paths(app: FastAPI) -> list[str]:
    # Since FastAPI 0.12x `app.routes` holds included routers, not their routes: flatten them.
    contexts: Any = (
        routing.iter_route_contexts(app.routes)  # type: ignore[attr-defined]
        if hasattr(routing, "iter_route_contexts")
        else app.routes
    )
    return [
        re.sub(r"\{[^}]+\}", "x", context.path)
        for context in contexts
        if "GET" in (getattr(context, "methods", None) or ())
    ]


def _assert_secured(response: Response, path: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name, response.status_code)
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path


def test_every_get_route_sends_the_security_headers(
    app: FastAPI, client: TestClient, tokens: dict[str, str]
) -> None:
    paths = _get_paths(app)
    assert len(paths) > 20 and "/docs" in paths and "/team" in paths
    for path in [*paths, "/static/coach.css", "/no-such-page"]:
        for headers in ({}, auth(tokens["admin"])):
            _assert_secured(client.get(path, headers=headers, follow_redirects=False), path)


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/signin"), ("post", "/v1/users/x/disable"), ("put", "/")]
)
def test_refusals_send_them_too(client: TestClient, method: str, path: str) -> None:
    _assert_secured(client.request(method, path), path)


def test_pages_allow_no_inline_code_but_the_docs_may(client: TestClient) -> None:
    page = client.get("/signin").headers["content-security-policy"]
    assert "script-src 'self';" in page + ";" and "unsafe-inline" not in page
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        docs = client.get(path).headers["content-security-policy"]
        assert "script-src 'self' 'unsafe-inline'" in docs, path
    assert "unsafe-inline" not in client.get("/docsx").headers["content-security-policy"]
