"""A real server per xdist worker (uvicorn in a thread, own port and COACH_HOME, demo data),
and Chromium driven by Playwright for the browser tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlmodel import Session

from api.main import create_app
from coach.core.settings import Settings
from coach.demo import DemoTokens, seed_demo
from coach.knowledge import (
    HashingEmbedder,
    KnowledgeBase,
    ensure_shipped_library,
    open_knowledge_base,
)
from tests.factories import upgraded

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: FastAPI
    tokens: DemoTokens


def demo_app(home: Path) -> tuple[FastAPI, DemoTokens]:
    """An app on a fresh home with the demo company and a fast practice library."""
    knowledge: KnowledgeBase = open_knowledge_base(
        chroma_path=home / "chroma", embedder=HashingEmbedder()
    )
    ensure_shipped_library(knowledge)
    app = create_app(upgraded(Settings(home=home)), knowledge=knowledge)
    with Session(app.state.engine) as session:
        tokens = seed_demo(session)
        session.commit()
    return app, tokens


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """uvicorn serving `app` on a free loopback port, in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(home: Path) -> Iterator[LiveServer]:
    """The demo app built in `home` and served on a free loopback port, until closed."""
    app, tokens = demo_app(home)
    with serving(app) as url:
        yield LiveServer(url=url, app=app, tokens=tokens)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per worker for the session; a module that changes what others expect to
    find (approved content) overrides this fixture with its own `serve`."""
    yield from serve(tmp_path_factory.mktemp("web-home"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded one), for the tests of one module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs it with apt-get")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(
    browser: Browser, server: LiveServer, token: str, viewport: dict[str, int] = LAPTOP
) -> tuple[BrowserContext, Page]:
    """A fresh browser context signed in with this token; returns (context, page)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{server.url}/signin")
    page.get_by_label(re.compile("API 令牌|API token")).fill(token)
    page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
    page.wait_for_load_state()
    assert "/signin" not in page.url, page.content()[:500]
    return context, page


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- in-process client for the page tests that need no browser -------------------------


@dataclass
class WebClient:
    client: TestClient
    csrf: str


def form_token(html: str) -> str:
    """The CSRF token a page put in its forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture
def web_app(tmp_path: Path) -> tuple[FastAPI, DemoTokens]:
    return demo_app(tmp_path / "web")


def signed_in(app: FastAPI, token: str) -> WebClient:
    """A TestClient with a web session for this token."""
    client = TestClient(app)
    csrf = form_token(client.get("/signin").text)
    response = client.post("/signin", data={"token": token, "csrf_token": csrf})
    assert response.status_code == 200 and "/signin" not in str(response.url)
    return WebClient(client=client, csrf=form_token(response.text))
