"""A year of issued bills for the demo utility (BILL-3, BILL-4).

Once a month's daily readings exist (``demo/history.py``), a complete month is closed
through the readings service and billed through the bill-run service, as the system actor ``demo-billing`` — the same code paths a utility runs each month, so the
console shows real bills (tiers crossed over the year, peak/valley bills of the TOU
meters) that read back exactly as they were computed. Bills are dated as if issued on the
3rd of the following month at 09:00 Beijing time.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select

from safegrid.billing.models import Bill, BillKind, BillRun, RunStatus
from safegrid.billing.periods import first_day, last_day, of_day, shift
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.readings.periods import do_close_period
from safegrid.security.actor import Actor
from safegrid.tariffs.seed import do_seed_standard_tariffs

ACTOR_NAME = "demo-billing"
ISSUE_DAY = 3


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


def seed_tariffs(platform: Platform) -> None:
    """The standard tariffs the bills are priced with (creates only the missing ones)."""
    do_seed_standard_tariffs(platform.uow(Actor.system(ACTOR_NAME, channel="cli")))


def bill_month(platform: Platform, period: str) -> int:
    """Close ``period`` and run its bills unless a run of it completed already (an
    interrupted history resumed); returns the period's normal bills."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    do_close_period(platform.uow(actor), period)
    with platform.uow(actor, readonly=True) as uow:
        completed = uow.session.scalar(
            select(BillRun.id)
            .where(BillRun.period == period, BillRun.status == RunStatus.COMPLETED)
            .limit(1)
        )
    if completed is None:
        do_run_bills(platform.uow(actor), period, issued_at=issue_date(period))
    with platform.uow(actor, readonly=True) as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(Bill)
                .where(Bill.period == period, Bill.kind == BillKind.NORMAL)
            )
            or 0
        )
