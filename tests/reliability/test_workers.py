"""`coach serve --workers 2` as a real process: the workers start from the environment, on the
schema and practice library the command prepared once, and honour each other's web sessions."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from coach.cli import app
from tests.server import ROOT, free_port, serving

COACH = "from coach.cli import app; app()"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def test_two_workers_serve_one_web_session(tmp_path: Path) -> None:
    demo = CliRunner().invoke(app, ["demo"])
    assert demo.exit_code == 0, demo.output
    manager = re.search(r"^\s+manager\s+(coach_\S+)", demo.stdout, re.MULTILINE)
    assert manager, demo.stdout
    port = free_port()
    command = [sys.executable, "-c", COACH, "serve", "--workers", "2", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "serve.log"
    with serving(
        command, url=f"http://127.0.0.1:{port}", env=env, cwd=ROOT, log=log, timeout=120
    ) as url:
        with httpx.Client(base_url=url, timeout=30) as browser:
            csrf = _csrf(browser.get("/signin").text)
            signin = browser.post(
                "/signin",
                data={"token": manager.group(1), "csrf_token": csrf},
                follow_redirects=True,
            )
            assert signin.status_code == 200 and "/signin" not in str(signin.url)
            cookies = dict(browser.cookies)
        # A new connection each time, so that requests land on either worker.
        statuses = []
        for _ in range(12):
            with httpx.Client(base_url=url, cookies=cookies, timeout=30) as client:
                statuses.append(client.get("/team", follow_redirects=False).status_code)
    assert statuses == [200] * 12
    printed = log.read_text()
    assert "2 worker(s) x COACH_LLM_CONCURRENCY=4" in printed.replace("\n", " ")
    assert printed.count("Application startup complete") == 2
