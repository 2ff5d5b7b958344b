from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from coach.db import engine_for
from coach.demo import DemoTokens, seed_demo
from coach.settings import Settings
from tests.factories import seed_org

_ENV_VARS = (
    "COACH_HOME", "COACH_DATABASE_URL", "COACH_LLM_PROVIDER", "OPENAI_API_KEY",
    "OPENAI_BASE_URL", "COACH_LLM_MODEL", "COACH_CHROMA_URL",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test gets its own COACH_HOME and no configuration leaking in from the machine."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    return app.state.engine  # type: ignore[no-any-return]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        result = seed_org(session)
        session.commit()
    return result


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture
def demo(engine: Engine) -> DemoTokens:
    """The demo company, with tokens for its four users."""
    with Session(engine) as s:
        result = seed_demo(s)
        s.commit()
    return result
