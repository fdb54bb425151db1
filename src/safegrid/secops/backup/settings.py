"""Backup configuration (``SAFEGRID_BACKUP_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safegrid.config import REPO_ROOT


class BackupSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGRID_BACKUP_", env_file=".env", extra="ignore"
    )

    dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "backups")
    retention_days: int = 30
    # Where PostgreSQL's own programs are (pg_basebackup, initdb, pg_ctl); newest found if unset.
    pg_bin: Path | None = None


def backup_settings() -> BackupSettings:
    return BackupSettings()
