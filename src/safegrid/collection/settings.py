"""Collection configuration. Defaults come from settings (``SAFEGRID_COLLECTION_*``); late-fee
rates may be overridden per tariff category and effective date in ``late_fee_rates``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.collection.models import LateFeeRate

RESIDENTIAL = "residential"


class CollectionSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGRID_COLLECTION_", env_file=".env", extra="ignore"
    )

    # 违约金 per day: 0.1 % for residents, 0.2 % for everyone else.
    late_fee_rate_residential: Decimal = Decimal("0.001")
    late_fee_rate_other: Decimal = Decimal("0.002")
    # Reminders go out this many days after the due date (one per stage).
    reminder_days: list[int] = Field(default_factory=lambda: [1, 7, 15])
    # Statutory notice before supply may be cut, counted from the day the notice is served.
    notice_period_days: int = 7
    # A bill at or above this amount makes its account a large customer (besides the
    # archive's key-customer flag): flagged in monitoring, eligible for instalments.
    large_customer_monthly_amount: Decimal = Decimal("10000.00")


@lru_cache
def get_collection_settings() -> CollectionSettings:
    return CollectionSettings()


def rate_e6(rate: Decimal) -> int:
    """A daily rate as an integer number of millionths (exact arithmetic in SQL)."""
    scaled = rate * 1_000_000
    if scaled != scaled.to_integral_value() or not 0 <= scaled <= 100_000:
        raise ValueError("a late-fee rate needs at most 6 decimals and at most 10 % per day")
    return int(scaled)


def rates_on(session: Session, day: date) -> tuple[dict[str, int], int]:
    """Rates in millionths per tariff category in force on ``day``, and the default for
    categories without a configured rate."""
    settings = get_collection_settings()
    rows = session.execute(
        select(LateFeeRate.tariff_category, LateFeeRate.rate_per_day)
        .where(LateFeeRate.effective_from <= day)
        .order_by(LateFeeRate.tariff_category, LateFeeRate.effective_from)
    ).all()
    rates = {RESIDENTIAL: rate_e6(settings.late_fee_rate_residential)}
    for category, rate in rows:  # ordered by date: the latest version wins
        rates[category] = rate_e6(Decimal(str(rate)))
    return rates, rate_e6(settings.late_fee_rate_other)
