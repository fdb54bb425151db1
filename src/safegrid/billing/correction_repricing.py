"""Billing's answer to readings' re-pricing port (:mod:`safegrid.readings.repricing`): an
approved usage correction re-prices the account's bills through 退补's own path."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.billing.reprice import reprice_within
from safegrid.customers.models import Account
from safegrid.platform.uow import UnitOfWork


def reprice_after_correction(
    uow: UnitOfWork, account_id: int, period: str, reason: str
) -> tuple[int, Decimal]:
    """From the first billed month at or after ``period``; a month not billed yet needs
    nothing: its bill run reads the corrected usage."""
    billed = uow.session.scalars(
        select(Bill.period)
        .where(
            Bill.account_id == account_id,
            Bill.kind == BillKind.NORMAL,
            Bill.status == BillStatus.ISSUED,
            Bill.period >= period,
        )
        .order_by(Bill.period)
        .limit(1)
    ).first()
    if billed is None:
        return 0, Decimal("0.00")
    number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    out = reprice_within(uow, [str(number)], billed, reason)
    return len(out.adjustments), out.difference
