"""Scheduled job of the daily cash (PAY-2): after the deposit deadline, flag each hall-day
whose cash was taken but never deposited, once, with a ``deposit_late`` alert to the hall's
managers. Registered at import; listed in ``platform.jobs.JOB_MODULES``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.org.models import OrgUnit
from safegrid.payments.counter.events import DepositFlaggedOverdue
from safegrid.payments.counter.models import (
    BankDeposit,
    CounterMethod,
    CounterReceipt,
    DepositOverdue,
    ReceiptStatus,
)
from safegrid.payments.counter.settlement import deadline_for, last_overdue_day
from safegrid.platform import clock, jobs
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

# How far back the job looks: older undeposited days were flagged by earlier runs.
LOOKBACK_DAYS = 31


def flag_overdue(uow: UnitOfWork) -> int:
    """Flag every overdue undeposited hall-day in the caller's open unit of work."""
    now = clock.now()
    last = last_overdue_day(now)
    first = last - timedelta(days=LOOKBACK_DAYS)
    r = CounterReceipt
    rows = uow.session.execute(
        select(r.org_unit_id, r.business_day, func.sum(r.amount), func.count(r.id))
        .outerjoin(
            BankDeposit,
            and_(
                BankDeposit.org_unit_id == r.org_unit_id, BankDeposit.business_day == r.business_day
            ),
        )
        .outerjoin(
            DepositOverdue,
            and_(
                DepositOverdue.org_unit_id == r.org_unit_id,
                DepositOverdue.business_day == r.business_day,
            ),
        )
        .where(
            r.business_day.between(first, last),
            r.method == CounterMethod.CASH,
            r.status != ReceiptStatus.VOIDED,
            BankDeposit.id.is_(None),
            DepositOverdue.id.is_(None),
        )
        .group_by(r.org_unit_id, r.business_day)
        .order_by(r.org_unit_id, r.business_day)
    ).all()
    for hall_id, day, total, count in rows:
        hall = uow.session.get_one(OrgUnit, hall_id)
        amount = Decimal(str(total)).quantize(Decimal("0.01"))
        deadline = deadline_for(day).astimezone(BUSINESS_TZ)
        alert_id = raise_alert(
            uow.session,
            kind="deposit_late",
            object_type="org_unit",
            object_id=str(hall_id),
            label=f"{hall.code} {day.isoformat()}",
            before=f"deadline {deadline:%Y-%m-%d %H:%M}",
            after="not deposited",
            unit_id=hall_id,
            actor=uow.actor,
            text=(
                f"【SafeGrid】{hall.name} {day:%Y-%m-%d} 现金 {amount} 元（{count} 笔）"
                f"截至 {deadline:%m-%d %H:%M} 尚未解款"
            ),
        )
        uow.session.add(
            DepositOverdue(
                business_day=day,
                amount=amount,
                flagged_at=now,
                alert_id=alert_id,
                org_unit_id=hall_id,
            )
        )
        uow.audit(
            "counter.deposit_overdue",
            object_type="org_unit",
            object_id=hall_id,
            org_unit_id=hall_id,
            after={"business_day": day.isoformat(), "amount": str(amount), "alert_id": alert_id},
        )
        uow.emit(DepositFlaggedOverdue(hall_id, day.isoformat(), alert_id))
    return len(rows)


def do_flag_overdue(uow: UnitOfWork) -> int:
    with uow:
        flagged = flag_overdue(uow)
        if flagged:
            uow.commit()
        return flagged


def run_deposit_overdue(platform: Platform, actor: Actor) -> dict[str, int]:
    """Flag hall-days whose cash missed the bank deposit deadline (PAY-2)"""
    return {"flagged": do_flag_overdue(platform.uow(actor))}


jobs.register(
    "payments.deposit_overdue",
    "5 15 * * *",
    run_deposit_overdue,
    "Flag hall-days whose cash was not deposited at the bank by 15:00 (PAY-2)",
)
