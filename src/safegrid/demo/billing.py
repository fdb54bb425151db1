"""A year of issued bills for the demo utility (BILL-3, BILL-4).

After the archive and the daily readings exist, every complete month of the readings is
closed through the readings service and billed through the bill-run service, as the
system actor ``demo-billing`` — the same code paths a utility runs each month, so the
console shows real bills (tiers crossed over the year, peak/valley bills of the TOU
meters) that read back exactly as they were computed. Bills are dated as if issued on the
3rd of the following month at 09:00 Beijing time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, time

from safegrid.billing.periods import first_day, last_day, of_day, shift
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.readings.periods import do_close_period
from safegrid.security.actor import Actor
from safegrid.tariffs.seed import do_seed_standard_tariffs

ACTOR_NAME = "demo-billing"
ISSUE_DAY = 3


@dataclasses.dataclass(frozen=True)
class DemoBills:
    periods: tuple[str, ...]
    bills: int


def complete_months(first: date, last: date) -> list[str]:
    """Months lying wholly within [first, last]."""
    period = of_day(first) if first.day == 1 else shift(of_day(first), 1)
    months = []
    while last_day(period) <= last:
        months.append(period)
        period = shift(period, 1)
    return months


def issue_date(period: str) -> datetime:
    day = first_day(shift(period, 1)).replace(day=ISSUE_DAY)
    return datetime.combine(day, time(9, 0), tzinfo=BUSINESS_TZ)


def issue_year_of_bills(
    platform: Platform,
    first: date,
    last: date,
    advance: Callable[[int], None] = lambda _n: None,
) -> DemoBills:
    """Close and bill every complete month of the readings ``first``…``last``."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    do_seed_standard_tariffs(platform.uow(actor))
    periods = complete_months(first, last)
    bills = 0
    for period in periods:
        do_close_period(platform.uow(actor), period)
        run = do_run_bills(platform.uow(actor), period, issued_at=issue_date(period))
        bills += run.bills_created
        advance(1)
    return DemoBills(tuple(periods), bills)
