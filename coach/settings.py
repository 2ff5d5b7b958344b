"""One settings object for the whole service, read from the environment and an optional `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_KEYS = {"", "changeme", "change-me", "your-api-key", "sk-...", "xxx"}


class Settings(BaseSettings):
    """Coach configuration; every field maps to one environment variable."""

    # Case-sensitive so that, for example, the shell's HOME never stands in for COACH_HOME.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, case_sensitive=True
    )

    home: Path = Field(
        default=Path(".coach"),
        validation_alias="COACH_HOME",
        description="All local state: SQLite file, embedded Chroma, logs.",
    )
    database_url: str = Field(
        default="",
        validation_alias="COACH_DATABASE_URL",
        description="SQLAlchemy URL; empty means SQLite under COACH_HOME.",
    )
    llm_provider: Literal["offline", "openai"] = Field(
        default="offline", validation_alias="COACH_LLM_PROVIDER"
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", validation_alias="COACH_LLM_MODEL")
    llm_timeout: float = Field(default=60.0, validation_alias="COACH_LLM_TIMEOUT")
    llm_max_retries: int = Field(default=2, validation_alias="COACH_LLM_MAX_RETRIES")
    llm_structured_method: Literal["function_calling", "json_schema", "json_mode"] = Field(
        default="function_calling",
        validation_alias="COACH_LLM_STRUCTURED_METHOD",
        description="How structured answers are requested; function calling works on most servers.",
    )
    chroma_url: str = Field(
        default="",
        validation_alias="COACH_CHROMA_URL",
        description="Chroma server URL; empty means embedded Chroma under COACH_HOME.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        validation_alias="COACH_MAX_UPLOAD_BYTES",
    )
    llm_local_only: str = Field(
        default="",
        validation_alias="COACH_LLM_LOCAL_ONLY",
        description="Comma list of draft kinds (e.g. feedback,development) never sent to an external LLM.",
    )

    @model_validator(mode="after")
    def _require_key_for_openai(self) -> Settings:
        if self.llm_provider == "openai":
            key = self.openai_api_key.get_secret_value() if self.openai_api_key else ""
            if key.strip().lower() in _PLACEHOLDER_KEYS:
                raise ValueError(
                    "COACH_LLM_PROVIDER=openai needs OPENAI_API_KEY to be set to a real key "
                    "(for a local server such as Ollama or vLLM any non-empty value works)."
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside COACH_HOME."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'coach.db').resolve()}"

    @property
    def llm_local_only_kinds(self) -> frozenset[str]:
        """Draft kinds that always use the offline engine."""
        return frozenset(k.strip() for k in self.llm_local_only.split(",") if k.strip())

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.home / "chroma"

    def ensure_home(self) -> Path:
        """Create COACH_HOME if needed and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
