"""Typed settings, read from the environment (prefix ``SAFEGRID_``).

Outside ``dev``/``test`` the settings refuse placeholder secrets, so a production
deployment cannot start with the demo's keys.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "dev-secret-change-me", "secret"})
REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGRID_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{REPO_ROOT / 'var' / 'safegrid.db'}"
    )
    secret_key: str = "dev-secret-change-me"  # noqa: S105 - refused outside dev by the validator
    # SM4 master key wrapping the data keys (DATA-2): 32 hex digits, from the environment or
    # a key file (the file wins). Never stored in the database. Empty in dev/test means a
    # fixed public development key; refused in prod (security.key_store.master_key).
    master_key: str = Field(default="", repr=False)
    master_key_file: Path | None = None
    session_hours: int = 8
    api_token_hours: int = 12
    # Argon2 cost; tests lower it so a suite of hundreds of logins stays fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Unset: true in prod, false elsewhere (a dev server on http://127.0.0.1); prod refuses
    # an explicit false (issue 12).
    cookie_secure: bool = False
    default_locale: Literal["zh", "en"] = "zh"
    # Raw AMI interval data (15-minute kWh), Parquet files queried with DuckDB (ADR 0005).
    ami_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "ami")
    # Scratch files (uploads being parsed, exports being built); purged hourly (DATA-6).
    tmp_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "tmp")
    # Trained analytics models (ANA-1..4): versioned JSON artefacts, also listed in the
    # analytics_models table; and the real data sets they are trained on (read-only).
    models_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "models")
    shared_data_dir: Path = Field(default_factory=lambda: REPO_ROOT.parent / "shared" / "data")
    # APScheduler inside the server (jobs: safegrid.platform.jobs). Off in tests and when a
    # separate `safegrid jobs worker` runs the schedule.
    scheduler_enabled: bool = True
    # The "offline node" profile (OPS-6, ADR 0035): this process serves a hall's local node
    # (`safegrid offline serve`) on its own SQLite file; its counter numbers receipts from
    # the hall's offline series. Never set on the server.
    offline_node: bool = False
    # Audit entries older than this are archived to a signed file and pruned (AUD-4, ADR
    # 0007); three years is the legal floor, so a lower value is refused.
    audit_retention_years: int = Field(default=3, ge=3)
    audit_archive_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "audit-archive")
    # How long a process's hall-queue batch waits after its first operation for more to
    # arrive before its transaction (ADR 0045): fuller batches, fewer commits and audit-head
    # updates per operation under load, for this much latency on each.
    hall_batch_linger_ms: float = Field(default=2.0, ge=0, le=50)
    # The outbox relay (ADR 0016). Published events are kept this long, then purged.
    events_retention_days: int = Field(default=30, ge=1)
    # A failed delivery is retried after base, 2×base, 4×base… (capped at an hour) and
    # marked dead after this many attempts (8 at 30 s: about an hour of trying).
    events_max_attempts: int = Field(default=8, ge=1, le=30)
    events_retry_base_seconds: float = Field(default=30.0, gt=0)
    events_webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # `safegrid events status` exits 1 when an unpublished event is older than this.
    events_stale_minutes: int = Field(default=15, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _secure_cookie_in_prod(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("cookie_secure") is None:
            data = {**data, "cookie_secure": data.get("env") == "prod"}
        return data

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "dev":
            return self
        if self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
            raise ValueError(
                f"SAFEGRID_SECRET_KEY must be a real secret of at least 32 characters "
                f"when SAFEGRID_ENV={self.env}"
            )
        if self.env == "prod" and not self.cookie_secure:
            # The session cookie would travel over plain HTTP to anyone on the path.
            raise ValueError(
                "SAFEGRID_COOKIE_SECURE must be true when SAFEGRID_ENV=prod (serve over HTTPS)"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
