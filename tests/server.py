"""The API as a real uvicorn process on a free loopback port, for tests that need real sockets,
real threads and the commit timing a client actually sees."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float, health: str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{url}{health}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {health} within {timeout} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class Server:
    """A server process that answers at `url`."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def running(
    command: list[str],
    *,
    url: str,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout: float,
    health: str = "/healthz",
) -> Iterator[Server]:
    """Run a server `command` until it answers `health` (a path) at `url`; yields the server.

    Its output goes to `log`, and it is terminated (killed if it lingers) however the block ends.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_healthy(url, process, log, timeout, health)
            yield Server(url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def serving(
    command: list[str],
    *,
    url: str,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout: float,
    health: str = "/healthz",
) -> Iterator[str]:
    """`running`, for a caller that needs only the URL."""
    with running(
        command, url=url, env=env, cwd=cwd, log=log, timeout=timeout, health=health
    ) as server:
        yield server.url


@contextmanager
def api_process(env: Mapping[str, str], log: Path, *, timeout: float = 30) -> Iterator[Server]:
    """`uvicorn api.main:create_app --factory` with `env` added; yields the server.

    The process runs this checkout's code (cwd and PYTHONPATH at the repository root).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    environment = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with running(
        command, url=f"http://127.0.0.1:{port}", env=environment, cwd=ROOT, log=log,
        timeout=timeout,
    ) as server:  # fmt: skip
        yield server


@contextmanager
def api_server(env: Mapping[str, str], log: Path, *, timeout: float = 30) -> Iterator[str]:
    """`api_process`, for a caller that needs only the URL."""
    with api_process(env, log, timeout=timeout) as server:
        yield server.url
