"""Every provider profile x the four LLM chains x each structured-output method, through the API.

A run "used the model's answer" when the draft's provenance names the LLM provider and no
fallback reason; every other run must fall back with a reason that names the cause, and
no run may answer 5xx.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coach.core.settings import Settings
from coach.knowledge import KnowledgeBase
from coach.llm import build_engine
from tests.chains.conftest import AS_OF, auth, build_app, llm_payload
from tests.llm.providers import PROFILES, Profile, rephrase_answer

DAY = AS_OF.isoformat()
CHAINS = ("checkin_topics", "feedback", "development", "targets")
ROUTES = {
    "checkin_topics": ("/v1/checkins/topics", {"employee_id": "E012", "date": DAY}),
    "feedback": ("/v1/feedback/drafts", {"employee_id": "E012", "cycle": "latest", "date": DAY}),
    "development": ("/v1/development/suggestions", {"employee_id": "E012", "date": DAY}),
    "targets": ("/v1/targets/suggest", {"employee_id": "E012", "metric": "revenue", "period": "2026Q4"}),
}  # fmt: skip
# What a fallback reason must say for the profiles whose answers cannot be used.
EXPECTED_CAUSE = {"truncating": "truncated"}
MISLEADING = ("not a chat completion", ": None", "plain text instead")


@dataclass
class Run:
    profile: str
    chain: str
    status: int
    provider: str | None
    fallback_reason: str | None

    @property
    def used(self) -> bool:
        return self.status < 300 and self.provider == "openai" and not self.fallback_reason


@pytest.fixture
def matrix_app(settings: Settings, knowledge: KnowledgeBase) -> Iterator[FastAPI]:
    yield build_app(settings, knowledge)


def _engine_settings(settings: Settings, profile: Profile, method: str | None) -> Settings:
    update: dict[str, Any] = {
        "llm_provider": "openai",
        "openai_api_key": "sk-test",
        "openai_base_url": profile.base_url,
        "llm_model": profile.model,
        "llm_backoff_base": 0.0,  # retries without sleeping
    }
    if method is not None:
        update["llm_structured_method"] = method
    return Settings(home=settings.home, database_url=settings.database_url, **update)


def run_matrix(app: FastAPI, knowledge: KnowledgeBase, method: str | None) -> list[Run]:
    """Every profile x chain once, each profile behind one engine as in a real process."""
    db = app.state.engine
    tokens = app.state.demo_tokens
    payloads = {c: llm_payload(db, knowledge, c, "E012") for c in CHAINS if c != "targets"}  # type: ignore[arg-type]
    runs: list[Run] = []
    with (
        respx.mock(assert_all_called=False) as mock,
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        for profile_type in PROFILES:
            profile = profile_type()
            mock.post(f"{profile.base_url}/chat/completions").mock(side_effect=profile)
            settings = _engine_settings(app.state.settings, profile, method)
            app.state.chat_engine = build_engine(settings)
            for chain in CHAINS:
                payload = payloads.get(chain)
                profile.answer = rephrase_answer if payload is None else (lambda _b, p=payload: p)
                path, body = ROUTES[chain]
                response = client.post(path, json=body, headers=auth(tokens.manager))
                provenance = (
                    response.json().get("provenance") or {} if response.status_code < 300 else {}
                )
                runs.append(Run(profile.name, chain, response.status_code,
                                provenance.get("provider"), provenance.get("fallback_reason")))  # fmt: skip
    return runs


def report(method: str | None, runs: list[Run]) -> str:
    used = sum(r.used for r in runs)
    lines = [f"method={method or 'default'}: {used}/{len(runs)} runs used the model's answer "
             f"({100 * used / len(runs):.0f}%)"]  # fmt: skip
    for r in runs:
        if not r.used:
            lines.append(
                f"  {r.profile:<18} {r.chain:<15} {r.status} {r.provider}: {r.fallback_reason}"
            )
    return "\n".join(lines)


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
def test_explicit_methods_never_fail_and_name_the_cause(
    matrix_app: FastAPI, knowledge: KnowledgeBase, method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = run_matrix(matrix_app, knowledge, method)
    with capsys.disabled():
        sys.stdout.write("\n" + report(method, runs) + "\n")
    assert [r for r in runs if r.status >= 500] == []
    for r in runs:
        if not r.used:
            assert r.fallback_reason and not any(m in r.fallback_reason for m in MISLEADING), r


def test_with_no_method_configured_nine_in_ten_runs_use_the_answer(
    matrix_app: FastAPI, knowledge: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = run_matrix(matrix_app, knowledge, None)
    with capsys.disabled():
        sys.stdout.write("\n" + report(None, runs) + "\n")
    assert [r for r in runs if r.status >= 500] == []
    assert sum(r.used for r in runs) / len(runs) >= 0.9
    for r in runs:
        if not r.used:
            assert r.provider == "offline", r
            assert EXPECTED_CAUSE.get(r.profile, "\0") in (r.fallback_reason or ""), r


def test_nothing_reaches_an_external_host(
    matrix_app: FastAPI, knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
    loopback = ("127.0.0.1", "::1", "localhost")

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in loopback:
            attempts.append(address)
            raise OSError(f"test tried to reach {address}")
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in loopback:
            attempts.append(host)
            raise OSError(f"test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    runs = run_matrix(matrix_app, knowledge, None)
    assert attempts == [] and len(runs) == len(PROFILES) * len(CHAINS)
    assert all(r.status < 500 for r in runs)
