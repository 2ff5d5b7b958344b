"""One settings object for the whole service, read from the environment and an optional `.env`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.core.errors import NoHome


class DatabaseTimeouts(NamedTuple):
    """PostgreSQL's per-connection limits, in seconds; 0 turns one off."""

    statement: float
    lock: float
    idle_in_transaction: float


_PLACEHOLDER_KEYS = {"", "changeme", "change-me", "your-api-key", "sk-...", "xxx"}

# Small per-process pools, so that several workers on several machines stay inside
# PostgreSQL's default max_connections=100: 8 processes x (5 + 5) = 80.
DEFAULT_DB_POOL_SIZE = 5
DEFAULT_DB_MAX_OVERFLOW = 5


DEFAULT_MAX_OPEN_REQUESTS = 3

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


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
    db_pool_size: int = Field(
        default=DEFAULT_DB_POOL_SIZE, ge=1, validation_alias="COACH_DB_POOL_SIZE",
        description="Database connections each process keeps open (per worker, not in total).",
    )  # fmt: skip
    db_max_overflow: int = Field(
        default=DEFAULT_DB_MAX_OVERFLOW, ge=0, validation_alias="COACH_DB_MAX_OVERFLOW",
        description="Extra database connections each process may open under load, closed "
        "when returned; workers x (pool size + overflow) must fit the server's max_connections.",
    )  # fmt: skip
    llm_provider: Literal["offline", "openai"] = Field(
        default="offline", validation_alias="COACH_LLM_PROVIDER"
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", validation_alias="COACH_LLM_MODEL")
    llm_timeout: float = Field(
        default=60.0, gt=0, validation_alias="COACH_LLM_TIMEOUT",
        description="Seconds one attempt may take; a model served on CPU needs several minutes "
        "(raise COACH_LLM_DEADLINE with it).",
    )  # fmt: skip
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
        description="Consecutive failed attempts that open an endpoint's circuit breaker; "
        "each process keeps its own breaker.",
    )  # fmt: skip
    llm_breaker_cooldown: float = Field(
        default=30.0, ge=0, validation_alias="COACH_LLM_BREAKER_COOLDOWN",
        description="Seconds an open breaker fails fast before letting one trial call through.",
    )  # fmt: skip
    llm_concurrency: int = Field(
        default=4, ge=1, validation_alias="COACH_LLM_CONCURRENCY",
        description="Batch items generated at once per process (each may call the LLM); "
        "with several workers the total is workers x this.",
    )  # fmt: skip
    batch_lease_seconds: float = Field(
        default=60.0, gt=0, validation_alias="COACH_BATCH_LEASE_SECONDS",
        description="How long a worker holds a batch item without renewing its lease; a worker "
        "that dies (kill -9, a lost host) leaves its items to another worker after this long.",
    )  # fmt: skip
    batch_heartbeat_seconds: float = Field(
        default=15.0, gt=0, validation_alias="COACH_BATCH_HEARTBEAT_SECONDS",
        description="How often a worker renews the leases of the items it is generating; "
        "shorter than the lease.",
    )  # fmt: skip
    batch_poll_seconds: float = Field(
        default=5.0, gt=0, validation_alias="COACH_BATCH_POLL_SECONDS",
        description="How often an idle worker looks for batch items to claim (new batches "
        "other processes accepted, leases that expired).",
    )  # fmt: skip
    llm_structured_method: Literal["auto", "function_calling", "json_schema", "json_mode"] = Field(
        default="auto",
        validation_alias="COACH_LLM_STRUCTURED_METHOD",
        description="How structured answers are requested; auto tries function calling, then "
        "JSON schema, then JSON mode, and keeps the first the endpoint does not refuse.",
    )
    llm_max_tokens: int = Field(
        default=4096, ge=0, validation_alias="COACH_LLM_MAX_TOKENS",
        description="Most tokens one answer may take (reasoning included on reasoning models); "
        "0: the server's default.",
    )  # fmt: skip
    llm_temperature: float = Field(
        default=0.2, ge=0, le=2, validation_alias="COACH_LLM_TEMPERATURE",
        description="Sampling temperature; no longer sent to an endpoint that refuses it.",
    )  # fmt: skip
    # A transaction stuck on a lock or left open by a stalled request must fail that request
    # (503, retry), not queue every writer behind it for good.
    db_statement_timeout: float = Field(
        default=30.0, ge=0, validation_alias="COACH_DB_STATEMENT_TIMEOUT",
        description="PostgreSQL: seconds one SQL statement may run (statement_timeout); 0: no limit.",
    )  # fmt: skip
    db_lock_timeout: float = Field(
        default=10.0, ge=0, validation_alias="COACH_DB_LOCK_TIMEOUT",
        description="PostgreSQL: seconds a statement may wait for a lock (lock_timeout); 0: no limit.",
    )  # fmt: skip
    db_idle_in_transaction_timeout: float = Field(
        default=60.0, ge=0, validation_alias="COACH_DB_IDLE_IN_TRANSACTION_TIMEOUT",
        description="PostgreSQL: seconds a transaction may sit idle before the server ends it "
        "(idle_in_transaction_session_timeout); 0: no limit.",
    )  # fmt: skip
    audit_seal_interval: float = Field(
        default=60.0, ge=0, validation_alias="COACH_AUDIT_SEAL_INTERVAL",
        description="Seconds between the API's audit seals (anchors of every chain's tip); 0: none.",
    )  # fmt: skip
    chroma_url: str = Field(
        default="",
        validation_alias="COACH_CHROMA_URL",
        description="Chroma server URL; empty means embedded Chroma under COACH_HOME.",
    )
    knowledge_vocabulary: Path | None = Field(
        default=None, validation_alias="COACH_KNOWLEDGE_VOCABULARY",
        description="A YAML file of the company's own symptom → concept entries and English "
        "glossary terms, used with the ones Coach ships for practice search.",
    )  # fmt: skip
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
    target_peers: Literal["department", "role", "company"] = Field(
        default="department", validation_alias="COACH_TARGET_PEERS",
        description="Where target suggestions seek a person's peers: within their department "
        "(role and level there first), a role across departments, or the whole company.",
    )  # fmt: skip
    max_open_requests: int = Field(
        default=DEFAULT_MAX_OPEN_REQUESTS, ge=1, validation_alias="COACH_MAX_OPEN_REQUESTS",
        description="Drafts of one kind about one person that a caller who cannot read them "
        "(an employee asking about themselves, an admin) may have waiting for a decision.",
    )  # fmt: skip
    checkin_cadence_days: int = Field(
        default=35, ge=1, validation_alias="COACH_CHECKIN_CADENCE_DAYS",
        description="Days between 1:1 check-ins before a gap is warned of (monthly plus a week).",
    )  # fmt: skip
    warning_kr_behind_points: int = Field(
        default=15, ge=1, le=100, validation_alias="COACH_WARNING_KR_BEHIND_POINTS",
        description="Percentage points a key result's progress may lag the time elapsed.",
    )  # fmt: skip
    warning_metric_decline: float = Field(
        default=0.2, gt=0, lt=1, validation_alias="COACH_WARNING_METRIC_DECLINE",
        description="Relative worsening of a metric against the same period a year before "
        "that is warned of.",
    )  # fmt: skip
    warning_obstacle_checkins: int = Field(
        default=3, ge=2, validation_alias="COACH_WARNING_OBSTACLE_CHECKINS",
        description="Consecutive check-ins naming the same obstacle that are warned of.",
    )  # fmt: skip

    webhook_url: str = Field(
        default="", validation_alias="COACH_WEBHOOK_URL",
        description="The group bot that receives managers' digests (an account's own webhook "
        "wins); empty: none.",
    )  # fmt: skip
    webhook_kind: Literal["feishu", "dingtalk", "wecom"] | None = Field(
        default=None, validation_alias="COACH_WEBHOOK_KIND",
        description="Which platform's group bot the webhooks are: feishu, dingtalk or wecom.",
    )  # fmt: skip
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="COACH_WEBHOOK_SECRET",
        description="The bot's signing secret (飞书 签名校验, 钉钉 加签); unset: unsigned.",
    )  # fmt: skip
    smtp_host: str = Field(
        default="", validation_alias="COACH_SMTP_HOST",
        description="Mail server for digests by e-mail; empty: no e-mail.",
    )  # fmt: skip
    smtp_port: int = Field(default=587, ge=1, le=65535, validation_alias="COACH_SMTP_PORT")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", validation_alias="COACH_SMTP_SECURITY",
        description="starttls (port 587), ssl (port 465) or none (a relay on a trusted network).",
    )  # fmt: skip
    smtp_user: str = Field(default="", validation_alias="COACH_SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="COACH_SMTP_PASSWORD")
    smtp_from: str = Field(
        default="", validation_alias="COACH_SMTP_FROM", description="The digests' From address."
    )
    remind_attempts: int = Field(
        default=3, ge=1, le=10, validation_alias="COACH_REMIND_ATTEMPTS",
        description="Tries per digest before it is recorded as failed (`coach remind --retry-failed`).",
    )  # fmt: skip
    remind_backoff: float = Field(
        default=2.0, ge=0, validation_alias="COACH_REMIND_BACKOFF",
        description="Seconds before the second try; doubles per try (the bots allow about 20 "
        "messages a minute).",
    )  # fmt: skip
    remind_timeout: float = Field(
        default=10.0, gt=0, validation_alias="COACH_REMIND_TIMEOUT",
        description="Seconds one try may take.",
    )  # fmt: skip
    remind_at: str = Field(
        default="", validation_alias="COACH_REMIND_AT",
        description="HH:MM at which `coach serve` sends the digests on COACH_REMIND_DAYS; "
        "empty: never (run `coach remind` yourself).",
    )  # fmt: skip
    remind_days: str = Field(
        default="mon", validation_alias="COACH_REMIND_DAYS",
        description="Comma list of mon, tue, wed, thu, fri, sat, sun: the days of COACH_REMIND_AT.",
    )  # fmt: skip
    remind_timezone: str = Field(
        default="Asia/Shanghai", validation_alias="COACH_REMIND_TIMEZONE",
        description="The time zone of COACH_REMIND_AT and of a digest's day.",
    )  # fmt: skip

    secret_key: SecretStr | None = Field(
        default=None,
        validation_alias="COACH_SECRET_KEY",
        description="Signs web sessions; unset means one generated once and kept in the "
        "database, shared by every worker using it.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value().strip()
            if value.lower() in _PLACEHOLDER_KEYS | {"secret", "changethis"} or len(value) < 16:
                raise ValueError(
                    "COACH_SECRET_KEY must be a random string of at least 16 characters "
                    "(for example `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
                    "or unset to have one generated and kept in the database."
                )
        return self

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Settings:
        if self.batch_heartbeat_seconds >= self.batch_lease_seconds:
            raise ValueError(
                "COACH_BATCH_HEARTBEAT_SECONDS must be shorter than COACH_BATCH_LEASE_SECONDS, "
                "or a working item's lease expires between renewals and another worker takes it"
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

    @model_validator(mode="after")
    def _webhook_is_complete(self) -> Settings:
        if self.webhook_url and self.webhook_kind is None:
            raise ValueError(
                "COACH_WEBHOOK_URL needs COACH_WEBHOOK_KIND=feishu, dingtalk or wecom "
                "(which platform's group bot it is)"
            )
        if self.webhook_kind == "wecom" and self.webhook_secret is not None:
            raise ValueError(
                "COACH_WEBHOOK_SECRET: 企业微信 group bots are not signed (the key is part of "
                "COACH_WEBHOOK_URL); unset it"
            )
        if self.webhook_url and not self.webhook_url.startswith(("https://", "http://")):
            raise ValueError(
                f"COACH_WEBHOOK_URL must be the bot's http(s) address, not {self.webhook_url!r}"
            )
        return self

    @model_validator(mode="after")
    def _smtp_is_complete(self) -> Settings:
        if self.smtp_host and "@" not in self.smtp_from:
            raise ValueError("COACH_SMTP_HOST needs COACH_SMTP_FROM, the digests' From address")
        if bool(self.smtp_user) != bool(self.smtp_password):
            raise ValueError(
                "COACH_SMTP_USER and COACH_SMTP_PASSWORD go together: set both or neither"
            )
        return self

    @model_validator(mode="after")
    def _schedule_is_readable(self) -> Settings:
        try:
            ZoneInfo(self.remind_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"COACH_REMIND_TIMEZONE {self.remind_timezone!r} is not a time zone "
                "(for example Asia/Shanghai)"
            ) from exc
        if self.remind_at and not _HH_MM.fullmatch(self.remind_at):
            raise ValueError(
                f"COACH_REMIND_AT must be HH:MM (for example 09:00), not {self.remind_at!r}"
            )
        if self.remind_at and not (self.webhook_kind or self.smtp_host):
            raise ValueError(
                "COACH_REMIND_AT needs a channel to send on: COACH_WEBHOOK_KIND (with "
                "COACH_WEBHOOK_URL or each manager's own webhook) or COACH_SMTP_HOST"
            )
        unknown = set(self.remind_weekdays_named) - set(WEEKDAYS)
        if unknown or not self.remind_weekdays_named:
            raise ValueError(
                f"COACH_REMIND_DAYS must list days among {', '.join(WEEKDAYS)}, "
                f"not {self.remind_days!r}"
            )
        return self

    @property
    def remind_weekdays_named(self) -> list[str]:
        """The day names of COACH_REMIND_DAYS, as written."""
        return [d.strip().lower() for d in self.remind_days.split(",") if d.strip()]

    @property
    def remind_weekdays(self) -> frozenset[int]:
        """The days of COACH_REMIND_DAYS as `date.weekday()` numbers (Monday is 0)."""
        return frozenset(WEEKDAYS.index(d) for d in self.remind_weekdays_named)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside COACH_HOME."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'coach.db').resolve()}"

    @property
    def database_timeouts(self) -> DatabaseTimeouts:
        """The PostgreSQL connection limits these settings ask for."""
        return DatabaseTimeouts(
            self.db_statement_timeout, self.db_lock_timeout, self.db_idle_in_transaction_timeout
        )

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
