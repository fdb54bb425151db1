"""Reversal bills (BILL-4): an issued bill is never edited; a reversal bill (negative amount,
every line negated, pointing at the original) cancels it. One path for a set of bills: a
single reversal from the console is a set of one, a correction (BILL-7) reverses many.

The caller's unit of work writes the audit entries and events; this writes the bills.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select

from safegrid.billing import reversal_steps
from safegrid.billing.events import BillReversed
from safegrid.billing.models import Bill, BillKind, BillLine, BillStatus
from safegrid.billing.run_writer import bill_number
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 4:
        raise ValidationProblem("请说明冲正原因 / give the reason for the reversal", field="reason")
    return reason


def reverse_bills(uow: UnitOfWork, bills: Sequence[Bill], reason: str, now: datetime) -> list[Bill]:
    """Reverse ``bills`` (locked by the caller, issued normal bills) and return their
    reversal bills in the same order; what the originals still owe is cancelled in the
    same transaction, so collection never shows a reversed bill as outstanding."""
    for bill in bills:
        if bill.kind != BillKind.NORMAL:
            raise ValidationProblem(
                "冲正账单不能再冲正 / a reversal bill cannot be reversed", field="bill_id"
            )
        if bill.status != BillStatus.ISSUED:
            raise ConflictError(
                "该账单已冲正 / this bill has already been reversed", field="bill_id"
            )
    reversals = [
        Bill(
            number=bill_number(BillKind.REVERSAL, bill.period, bill.id),
            account_id=bill.account_id,
            period=bill.period,
            kind=BillKind.REVERSAL,
            sequence=bill.sequence,
            reverses_bill_id=bill.id,
            status=BillStatus.ISSUED,
            kwh=-bill.kwh,
            amount=-bill.amount,
            tier_prior_kwh=bill.tier_prior_kwh,
            tariff_version_id=bill.tariff_version_id,
            run_id=None,
            issued_at=now,
            due_date=clock.business_day(now),
            reason=reason,
            org_unit_id=bill.org_unit_id,
        )
        for bill in bills
    ]
    uow.session.add_all(reversals)
    uow.session.flush()
    reversal_of = {r.reverses_bill_id: r.id for r in reversals}
    lines = uow.session.scalars(
        select(BillLine)
        .where(BillLine.bill_id.in_(list(reversal_of)))
        .order_by(BillLine.bill_id, BillLine.line_no)
    ).all()
    rows: list[dict[str, Any]] = [
        {
            "bill_id": reversal_of[line.bill_id],
            "line_no": line.line_no,
            "kind": line.kind,
            "description": line.description,
            "kwh": -line.kwh,
            "price": line.price,
            "amount": -line.amount,
        }
        for line in lines
    ]
    if rows:
        uow.session.execute(insert(cast(Table, BillLine.__table__)), rows)
    for bill in bills:
        bill.status = BillStatus.REVERSED
    uow.session.flush()
    for reversal in reversals:
        reversal_steps.run(uow, reversal.id)
    uow.emit_many(
        [
            BillReversed(
                bill_id=bill.id,
                reversal_bill_id=reversal.id,
                account_id=bill.account_id,
                org_unit_id=bill.org_unit_id,
                period=bill.period,
                amount=bill.amount,
            )
            for bill, reversal in zip(bills, reversals, strict=True)
        ]
    )
    return reversals
