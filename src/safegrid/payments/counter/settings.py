"""Counter and cash-deposit configuration (``SAFEGRID_COUNTER_*``)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from safegrid.config import REPO_ROOT


class CounterSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGRID_COUNTER_", env_file=".env", extra="ignore"
    )

    # Largest single payment a counter accepts; larger sums go by bank transfer.
    max_amount: Decimal = Decimal("1000000.00")
    # PAY-2: the cash of business day D is kept in the safe overnight and deposited at the
    # bank by two people before this Beijing time on day D + ``deposit_day_offset``.
    deposit_deadline: time = time(15, 0)
    deposit_day_offset: int = Field(default=1, ge=0, le=3)
    # Scanned deposit slips: written once, never overwritten, named by their SHA-256.
    slip_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var" / "deposit-slips")
    slip_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)


@lru_cache
def get_counter_settings() -> CounterSettings:
    return CounterSettings()
