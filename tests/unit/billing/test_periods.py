"""BILL-3/BILL-4: billing periods and the tier year a period belongs to (calendar year by
default, configurable per tariff version; a monthly threshold starts every month)."""

from __future__ import annotations

import pytest

from safegrid.billing.periods import first_day, last_day, parse_period, shift, tier_period_start
from safegrid.platform.errors import ValidationProblem
from safegrid.tariffs.terms import ThresholdPeriod


def test_bill_3_tier_year_is_the_calendar_year_by_default() -> None:
    assert tier_period_start("2026-10", ThresholdPeriod.ANNUAL) == "2026-01"
    assert tier_period_start("2026-01", ThresholdPeriod.ANNUAL) == "2026-01"


def test_bill_3_tier_year_can_start_in_another_month() -> None:
    assert tier_period_start("2026-10", ThresholdPeriod.ANNUAL, 7) == "2026-07"
    assert tier_period_start("2026-06", ThresholdPeriod.ANNUAL, 7) == "2025-07"


def test_bill_3_monthly_thresholds_start_every_month() -> None:
    assert tier_period_start("2026-10", ThresholdPeriod.MONTHLY, 7) == "2026-10"
    assert tier_period_start("2026-10", None) == "2026-10"  # untiered: no earlier kWh count


def test_bill_4_period_arithmetic() -> None:
    assert shift("2026-01", -1) == "2025-12"
    assert shift("2026-11", 2) == "2027-01"
    assert first_day("2024-02").isoformat() == "2024-02-01"
    assert last_day("2024-02").isoformat() == "2024-02-29"


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-10", "2026/10", "", "1999-12"])
def test_bill_4_malformed_period_names_the_field(bad: str) -> None:
    with pytest.raises(ValidationProblem) as err:
        parse_period(bad)
    assert err.value.field == "period"
