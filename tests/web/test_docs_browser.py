"""The API docs render in a real Chromium that may not reach anything beyond this machine."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.web.conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "rendered"), [("/docs", ".opblock"), ("/redoc", ".api-content h2")]
)
def test_docs_render_with_no_request_leaving_the_machine(
    browser: Browser, live_server: LiveServer, path: str, rendered: str
) -> None:
    context = browser.new_context()
    context.set_default_timeout(20_000)
    outside: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    expect(page.locator(rendered).first).to_be_visible()
    # An aborted or refused image counts as complete: by then its request has been routed.
    page.wait_for_function("[...document.images].every((image) => image.complete)")
    context.close()
    assert outside == []
