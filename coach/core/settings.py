"""One settings object for the whole service, read from the environment and an optional `.env`."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.core.errors import NoHome

_PLACEHOLDER_KEYS = {"", "changeme", "change-me", "your-api-key", "sk-...", "xxx"}


DEFAULT_MAX_OPEN_REQUESTS = 3


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
    llm_timeout: float = Field(
        default=60.0, validation_alias="COACH_LLM_TIMEOUT", description="Seconds per attempt."
    )
    llm_max_retries: int = Field(
        default=2, ge=0, validation_alias="COACH_LLM_MAX_RETRIES",
        description="Retries after the first attempt (timeouts, 429, 5xx, resets, bad output).",
    )  # fmt: skip
    llm_deadline: float = Field(
        default=90.0, gt=0, validation_alias="COACH_LLM_DEADLINE",
        description="Seconds one generation may take in total, retries and waits included.",
    )  # fmt: skip
    llm_backoff_base: float = Field(
        default=0.5, ge=0, validation_alias="COACH_LLM_BACKOFF_BASE",
        description="First backoff step in seconds; doubles per retry, full jitter.",
    )  # fmt: skip
    llm_backoff_max: float = Field(default=8.0, ge=0, validation_alias="COACH_LLM_BACKOFF_MAX")
    llm_breaker_threshold: int = Field(
        default=5, ge=1, validation_alias="COACH_LLM_BREAKER_THRESHOLD",
        description="Consecutive failed attempts that open an endpoint's circuit breaker.",
    )  # fmt: skip
    llm_breaker_cooldown: float = Field(
        default=30.0, ge=0, validation_alias="COACH_LLM_BREAKER_COOLDOWN",
        description="Seconds an open breaker fails fast before letting one trial call through.",
    )  # fmt: skip
    llm_concurrency: int = Field(
        default=4, ge=1, validation_alias="COACH_LLM_CONCURRENCY",
        description="Batch items generated at once (each may call the LLM).",
    )  # fmt: skip
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
    review_scale_min: float = Field(
        default=1.0, allow_inf_nan=False, validation_alias="COACH_REVIEW_SCALE_MIN",
        description="Lowest review score the company's scale allows.",
    )  # fmt: skip
    review_scale_max: float = Field(
        default=5.0, allow_inf_nan=False, validation_alias="COACH_REVIEW_SCALE_MAX",
        description="Highest review score the company's scale allows.",
    )  # fmt: skip
    llm_local_only: str = Field(
        default="",
        validation_alias="COACH_LLM_LOCAL_ONLY",
        description="Comma list of draft kinds (e.g. feedback,development) never sent to an external LLM.",
    )
    max_open_requests: int = Field(
        default=DEFAULT_MAX_OPEN_REQUESTS, ge=1, validation_alias="COACH_MAX_OPEN_REQUESTS",
        description="Drafts of one kind about one person that a caller who cannot read them "
        "(an employee asking about themselves, an admin) may have waiting for a decision.",
    )  # fmt: skip

    secret_key: SecretStr | None = Field(
        default=None,
        validation_alias="COACH_SECRET_KEY",
        description="Signs web sessions; unset means one generated once into COACH_HOME/secret_key.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value().strip()
            if value.lower() in _PLACEHOLDER_KEYS | {"secret", "changethis"} or len(value) < 16:
                raise ValueError(
                    "COACH_SECRET_KEY must be a random string of at least 16 characters "
                    "(for example `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
                    "or unset to have one generated under COACH_HOME."
                )
        return self

    @model_validator(mode="after")
    def _scale_is_a_range(self) -> Settings:
        if self.review_scale_min >= self.review_scale_max:
            raise ValueError(
                f"COACH_REVIEW_SCALE_MIN ({self.review_scale_min:g}) must be below "
                f"COACH_REVIEW_SCALE_MAX ({self.review_scale_max:g})"
            )
        return self

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
    def review_scale(self) -> tuple[float, float]:
        """The company's review score scale: (lowest, highest)."""
        return self.review_scale_min, self.review_scale_max

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.home / "chroma"

    def session_secret(self) -> str:
        """The key signing web sessions: COACH_SECRET_KEY, else one kept in COACH_HOME."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().strip()
        path = self.ensure_home() / "secret_key"
        if not path.exists():
            # Persisted so that a restart keeps everyone signed in; readable by the owner only.
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        value = path.read_text(encoding="utf-8").strip()
        if len(value) < 16:
            raise ValueError(f"{path} holds no usable secret key; delete it to generate one")
        return value

    def has_home(self) -> bool:
        """Whether COACH_HOME is a set-up home: the folder exists and so does its database."""
        if not self.home.is_dir():
            return False
        return bool(self.database_url) or (self.home / "coach.db").is_file()

    def require_home(self) -> Path:
        """COACH_HOME, refusing one that was never set up (an empty folder is not a home)."""
        if not self.has_home():
            raise NoHome(str(self.home.resolve()))
        return self.home

    def ensure_home(self) -> Path:
        """Create COACH_HOME if needed and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
