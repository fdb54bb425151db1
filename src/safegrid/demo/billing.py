"""A year of issued bills for the demo utility (BILL-3, BILL-4).

Once a month's daily readings exist (``demo/history.py``), a complete month is closed
through the readings service and billed through the bill-run service, as the system actor ``demo-billing`` — the same code paths a utility runs each month, so the
console shows real bills (tiers crossed over the year, peak/valley bills of the TOU
meters) that read back exactly as they were computed. Bills are dated as if issued on the
3rd of the following month at 09:00 Beijing time.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select

from safegrid.billing.models import Bill, BillAdjustment, BillKind, BillRun, BillStatus, RunStatus
from safegrid.billing.periods import first_day, last_day, of_day, shift
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.customers.models import Account, Meter
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.readings.correction_requests import (
    Proposal,
    do_decide_correction,
    do_propose_correction,
)
from safegrid.readings.corrections import Figures
from safegrid.readings.models import MonthlyUsage
from safegrid.readings.periods import do_close_period
from safegrid.security.actor import Actor
from safegrid.tariffs.seed import do_seed_standard_tariffs
from safegrid.tariffs.terms import Category

ACTOR_NAME = "demo-billing"
# A correction is approved by someone other than its proposer (BILL-7).
APPROVER_NAME = "demo-billing-approver"
CORRECTION_EVIDENCE = "演示：现场复核表盘照片 / demo: dial photo from the site check"
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


@dataclasses.dataclass(frozen=True)
class DemoCorrection:
    account_number: str
    period: str
    months: int
    difference: Decimal


CORRECTION_KWH = Decimal("600")
CORRECTION_REASON = "演示：抄表错误，补计600千瓦时 / demo: misread meter, 600 kWh added"


def correct_one_account(platform: Platform) -> DemoCorrection | None:
    """One resident's month corrected and re-priced (退补, BILL-7), so the console shows
    reversal and re-issued bills whose tiers moved: the first billed month of the latest
    tier year with two or more billed months, +600 kWh, for the first resident whose year
    had stayed within tier 1 but now crosses into tier 2. Once per demo: nothing when an
    adjustment exists already."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    with platform.uow(actor, readonly=True) as uow:
        s = uow.session
        if s.scalar(select(BillAdjustment.id).limit(1)) is not None:
            return None  # corrected already (a resumed or repeated history)
        periods = sorted(set(s.scalars(select(Bill.period).where(Bill.kind == BillKind.NORMAL))))
        years = [
            y
            for y in sorted({p[:4] for p in periods}, reverse=True)
            if sum(p[:4] == y for p in periods) >= 2
        ]
        if not years:
            return None
        months = [p for p in periods if p[:4] == years[0]]
        year_kwh = func.sum(Bill.kwh)
        found = s.execute(
            select(Account.number, Meter.asset_no, MonthlyUsage.kwh)
            .join(Bill, Bill.account_id == Account.id)
            .join(MonthlyUsage, MonthlyUsage.account_id == Account.id)
            .join(Meter, Meter.id == MonthlyUsage.meter_id)
            .where(
                Account.tariff_category == Category.RESIDENTIAL.value,
                Bill.kind == BillKind.NORMAL,
                Bill.status == BillStatus.ISSUED,
                Bill.period.in_(months),
                MonthlyUsage.period == months[0],
                Meter.is_tou.is_(False),
            )
            .group_by(Account.id, Account.number, Meter.asset_no, MonthlyUsage.kwh)
            .having(year_kwh.between(2760 - CORRECTION_KWH + 100, 2760 - 100))
            .order_by(Account.id)
            .limit(1)
        ).first()
    if found is None:
        return None
    number, asset, kwh = found
    request_id = do_propose_correction(
        platform.uow(actor),
        Proposal(
            asset, months[0], Figures(kwh + CORRECTION_KWH), CORRECTION_REASON, CORRECTION_EVIDENCE
        ),
    )
    approver = Actor.system(APPROVER_NAME, channel="cli")
    decided = do_decide_correction(
        platform.uow(approver), request_id, approve=True, note=CORRECTION_REASON
    )
    return DemoCorrection(
        number, months[0], decided.repriced_months or 0, decided.repriced_difference or Decimal(0)
    )
