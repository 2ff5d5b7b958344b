"""The README's first command, run from the wheel in an empty virtual environment.

The development machine has far more installed than the project declares; only a clean
environment shows a missing dependency. The pip cache and requirements/test.lock (as
constraints) keep this to a couple of minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.offline_docs import assert_docs_offline
from tests.server import free_port, serving

pytestmark = pytest.mark.install

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements" / "test.lock"
INSTALL_TIMEOUT = 900
START_TIMEOUT = 120


def _run(args: list[str | Path], *, env: dict[str, str], cwd: Path, timeout: float) -> str:
    """Run a command to completion; on failure the assertion shows its output."""
    done = subprocess.run(
        [str(arg) for arg in args],
        env=env,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(home: Path) -> dict[str, str]:
    """The caller's environment without the virtual environment or any Coach settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("COACH_", "OPENAI_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["COACH_HOME"] = str(home)
    # Build dependencies too stay at the locked versions.
    env["PIP_CONSTRAINT"] = str(LOCK)
    return env


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("install")


@pytest.fixture(scope="module")
def coach_bin(workdir: Path) -> Path:
    """The `coach` script of a fresh venv holding the wheel with its postgres extra."""
    env = _clean_env(workdir / "home")
    dist = workdir / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "wheel", "--no-deps", "-w", dist, REPO], env=env, cwd=workdir, timeout=300)
    (wheel,) = dist.glob("coach-*.whl")
    venv = workdir / "venv"
    _run([sys.executable, "-m", "venv", venv], env=env, cwd=workdir, timeout=120)
    python = venv / "bin" / "python"
    _run(
        [python, "-m", "pip", "--disable-pip-version-check", "--quiet", "install",
         f"{wheel}[postgres]"],
        env=env, cwd=workdir, timeout=INSTALL_TIMEOUT,
    )  # fmt: skip
    found = _run(
        [python, "-c", "import sys, coach, psycopg; print(coach.__file__, *sys.path, sep='\\n')"],
        env=env, cwd=workdir, timeout=60,
    ).splitlines()  # fmt: skip
    # The wheel is what runs, and no site-packages directory but the venv's own is visible.
    assert all(path.startswith(str(venv)) for path in found if "-packages" in path), found
    assert found[0].startswith(str(venv)), found
    return venv / "bin" / "coach"


@pytest.fixture(scope="module")
def served(coach_bin: Path, workdir: Path) -> Iterator[str]:
    """`coach demo && coach serve --host 127.0.0.1 --port <free>`, from an empty directory."""
    home, cwd = workdir / "home", workdir / "cwd"
    cwd.mkdir()
    env = _clean_env(home)
    printed = _run([coach_bin, "demo"], env=env, cwd=cwd, timeout=300)
    assert "coach_" in printed, printed
    port = free_port()
    command = [str(coach_bin), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(
        command, url=f"http://127.0.0.1:{port}", env=env, cwd=cwd, log=workdir / "serve.log",
        timeout=START_TIMEOUT,
    ) as url:  # fmt: skip
        yield url


def test_readme_first_command_serves_pages_and_offline_docs(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        health = client.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert client.get("/signin").status_code == 200
        assert_docs_offline(client)


def test_wheel_adds_no_top_level_name_but_coach(coach_bin: Path) -> None:
    (record,) = coach_bin.parent.parent.glob("lib/python*/site-packages/coach-*.dist-info/RECORD")
    installed = [line.split(",", 1)[0] for line in record.read_text().splitlines()]
    # Scripts are recorded relative to site-packages (`../../../bin/coach`).
    tops = {path.split("/", 1)[0] for path in installed if not path.startswith("..")}
    assert tops == {"coach", record.parent.name}, tops


def test_evals_run_from_the_installed_package(coach_bin: Path, workdir: Path) -> None:
    env = _clean_env(workdir / "eval-home")
    # `coach eval drafts` drives the real OpenAI client against a mocked endpoint (respx).
    printed = _run([coach_bin, "eval", "drafts"], env=env, cwd=workdir, timeout=300)
    assert "result: all bars met" in printed, printed
    printed = _run([coach_bin, "eval", "verdicts"], env=env, cwd=workdir, timeout=120)
    assert "baseline" in printed, printed
