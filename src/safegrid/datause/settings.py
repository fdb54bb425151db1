"""Data-use configuration (``SAFEGRID_DATAUSE_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

# AUD-4: access logs are kept at least two years; a shorter setting is refused.
MIN_ACCESS_LOG_RETENTION_DAYS = 731


class DataUseSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGRID_DATAUSE_", env_file=".env", extra="ignore"
    )

    # Longest period a data-use request may ask for.
    max_period_days: int = 30
    # Per-user limits of bulk access to sensitive data in a sliding hour (DATA-5).
    exports_per_hour: int = 10
    reveals_per_hour: int = 120
    # Access-log retention in days; the retention job refuses anything under two years.
    access_log_retention_days: int = 3 * 365


@lru_cache
def get_datause_settings() -> DataUseSettings:
    return DataUseSettings()
