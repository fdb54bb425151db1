"""Reconciliation configuration (``SAFEGRID_RECON_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safegrid.config import REPO_ROOT


class ReconSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEGRID_RECON_", env_file=".env", extra="ignore")

    # REC-3: a red item's case is due this many Chinese working days after it opened.
    case_working_days: int = Field(default=5, ge=1, le=30)
    # Case evidence: written once, named by its SHA-256, never overwritten.
    evidence_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "recon-evidence")
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # REC-4: signed monthly reports (Excel + PDF), kept this many years, then purged.
    report_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "recon-reports")
    report_retention_years: int = Field(default=3, ge=3)


@lru_cache
def get_recon_settings() -> ReconSettings:
    return ReconSettings()
