"""Checks that /docs and /redoc work without the internet, for any client of a running app."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

DOC_PAGES = ("/docs", "/redoc")
# Hosts that serve the UIs' own code, styles or fonts: FastAPI's defaults and their kin.
_ASSET_HOSTS = (
    "cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com",
    "fonts.gstatic.com",
)  # fmt: skip
_URL = re.compile(r"""(?:https?:)?//([A-Za-z0-9.-]+(?::\d+)?)""")
_REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""")
# The only sources a page that loads nothing from outside needs.
_LOCAL_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}


def assert_docs_offline(client: httpx.Client) -> None:
    """Each doc page names no other host, and every asset it references is served here."""
    own_host = urlsplit(str(client.base_url)).netloc
    for page in DOC_PAGES:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), page
        html = response.text
        assert _foreign_hosts(html, own_host) == [], f"{page} names other hosts"
        _assert_policy_is_local(page, response.headers.get("content-security-policy", ""))
        references = [a or b for a, b in _REFERENCE.findall(html)]
        assert any(ref.endswith(".js") for ref in references), f"{page} loads no script"
        for reference in references:
            _assert_asset_served(client, page, reference)


def _foreign_hosts(text: str, own_host: str) -> list[str]:
    return [host for host in _URL.findall(text) if host != own_host]


def _assert_policy_is_local(page: str, policy: str) -> None:
    # Both UIs' bundles contain URLs of their vendors (the ReDoc logo is one they load): the
    # policy is what keeps the browser from fetching any of them.
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert "default-src" in directives, f"{page}: no Content-Security-Policy default-src"
    for name, sources in directives.items():
        assert set(sources) <= _LOCAL_SOURCES, f"{page}: {name} allows {sources}"


def _assert_asset_served(client: httpx.Client, page: str, reference: str) -> None:
    response = client.get(reference)
    assert response.status_code == 200, (page, reference, response.status_code)
    assert response.content, (page, reference)
    if reference.endswith(".js"):
        named = [host for host in _ASSET_HOSTS if host in response.text]
        assert named == [], f"{reference} loads from {named}"
    if reference.endswith(".css"):
        assert "@import" not in response.text, reference
        external = [u for u in _CSS_URL.findall(response.text) if _URL.match(u.strip())]
        assert external == [], f"{reference} loads {external}"
