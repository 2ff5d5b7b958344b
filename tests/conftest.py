from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from coach.core.settings import Settings
from coach.demo import DemoTokens, seed_demo
from coach.drafts import registry
from coach.drafts.registry import DraftKind
from coach.kinds import register_all
from tests import pg
from tests.factories import seed_org, upgraded

_ENV_VARS = (
    "COACH_HOME", "COACH_DATABASE_URL", "COACH_LLM_PROVIDER", "OPENAI_API_KEY",
    "OPENAI_BASE_URL", "COACH_LLM_MODEL", "COACH_CHROMA_URL", "COACH_WEBHOOK_URL",
    "COACH_WEBHOOK_KIND", "COACH_WEBHOOK_SECRET", "COACH_SMTP_HOST", "COACH_REMIND_AT",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The browser tests share one server per worker for the whole session, so they cannot
    # follow the per-test databases of the PostgreSQL pass; they run in the SQLite pass.
    if pg.TEST_DATABASE_URL:
        skip = pytest.mark.skip(reason="browser tests run in the SQLite pass only")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def _pg_template(worker_id: str) -> Iterator[tuple[pg.Databases, str] | None]:
    """With COACH_TEST_DATABASE_URL: this worker's migrated template database."""
    if not pg.TEST_DATABASE_URL:
        yield None
        return
    databases = pg.Databases(pg.TEST_DATABASE_URL)
    template = databases.migrated_template(f"coach_template_{worker_id}")
    yield databases, template
    databases.drop(template)
    databases.close()


def fresh_database_url(pg_template: tuple[pg.Databases, str] | None) -> Iterator[str]:
    """Empty for SQLite; else a fresh PostgreSQL database from the template, dropped afterwards."""
    if pg_template is None:
        yield ""
        return
    databases, template = pg_template
    name = databases.create(template=template)
    yield databases.url_for(name)
    databases.drop(name)


@pytest.fixture(autouse=True)
def database_url(_pg_template: tuple[pg.Databases, str] | None) -> Iterator[str]:
    """Empty for SQLite under COACH_HOME; else a fresh PostgreSQL database, dropped afterwards."""
    yield from fresh_database_url(_pg_template)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    """Each test gets its own COACH_HOME and no configuration leaking in from the machine."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    if database_url:
        monkeypatch.setenv("COACH_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def draft_kinds(monkeypatch: pytest.MonkeyPatch) -> dict[str, DraftKind]:
    """Each test starts with the kinds the app registers; one may add its own, for itself."""
    monkeypatch.setattr(registry, "_KINDS", {})
    return register_all()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(upgraded(settings))


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
