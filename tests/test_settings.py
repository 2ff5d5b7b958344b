from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from coach.core.settings import Settings


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests read defaults and `.env`; the PostgreSQL pass sets the variable for all others.
    monkeypatch.delenv("COACH_DATABASE_URL", raising=False)


def test_defaults_are_embedded(tmp_path: Path) -> None:
    settings = Settings()
    assert settings.llm_provider == "offline"
    assert (
        settings.resolved_database_url == f"sqlite:///{(tmp_path / 'home' / 'coach.db').resolve()}"
    )
    assert settings.chroma_url == ""


def test_openai_provider_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_LLM_PROVIDER", "openai")
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        Settings()
    monkeypatch.setenv("OPENAI_API_KEY", "changeme")
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        Settings()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    assert Settings().llm_provider == "openai"


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "COACH_LLM_MODEL=deepseek-chat\nCOACH_DATABASE_URL=postgresql://u@h/db\n"
    )
    settings = Settings()
    assert settings.llm_model == "deepseek-chat"
    assert settings.resolved_database_url == "postgresql://u@h/db"


def test_shell_home_is_not_coach_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COACH_HOME")
    monkeypatch.setenv("HOME", "/somewhere/else")
    monkeypatch.setenv("DATABASE_URL", "postgresql://wrong/db")
    settings = Settings()
    assert settings.home == Path(".coach")
    assert settings.resolved_database_url.startswith("sqlite:///")


def test_the_review_scale_is_read_and_must_be_a_range(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().review_scale == (1.0, 5.0)
    monkeypatch.setenv("COACH_REVIEW_SCALE_MIN", "0")
    monkeypatch.setenv("COACH_REVIEW_SCALE_MAX", "100")
    assert Settings().review_scale == (0.0, 100.0)
    monkeypatch.setenv("COACH_REVIEW_SCALE_MAX", "0")
    with pytest.raises(ValidationError, match="COACH_REVIEW_SCALE_MIN"):
        Settings()


def test_target_peers_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().target_peers == "department"
    monkeypatch.setenv("COACH_TARGET_PEERS", "role")
    assert Settings().target_peers == "role"
    monkeypatch.setenv("COACH_TARGET_PEERS", "team")
    with pytest.raises(ValidationError, match="COACH_TARGET_PEERS"):
        Settings()
