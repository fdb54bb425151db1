"""Which bills are in arrears on a day, and by how much (BILL-6).

A bill is in arrears when its due date has passed with principal unpaid, or when it still
owes late fees. A bill under an active instalment plan is judged by the plan's overdue
instalments instead of its own due date.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import (
    BillBalance,
    PlanOverdue,
    balance_select,
    plan_overdue,
    to_balance,
    yuan,
)


@dataclasses.dataclass(frozen=True)
class OverdueBill:
    bill: Bill
    balance: BillBalance
    overdue_fen: int  # principal past its due date (or past its instalments' dates)
    since: date | None  # the date it became overdue
    day: date

    @property
    def days_overdue(self) -> int:
        return (self.day - self.since).days if self.since else 0

    @property
    def arrears_fen(self) -> int:
        return self.overdue_fen + self.balance.fee_out_fen


@dataclasses.dataclass(frozen=True)
class ArrearsQuery:
    """The overdue-bills statement for ``day`` plus what is needed to read its rows."""

    stmt: Select[Any]
    day: date
    plan_overdue: dict[int, PlanOverdue]
    plan_bills: set[int]

    def row(self, bill: Bill, *cols: Any) -> OverdueBill:
        balance = to_balance(bill, *cols)
        if bill.id in self.plan_bills:
            share = self.plan_overdue.get(bill.id)
            overdue, since = (share.principal_fen, share.since) if share else (0, None)
        else:
            overdue, since = balance.principal_out_fen, bill.due_date
        return OverdueBill(bill, balance, max(overdue, 0), since, self.day)


def arrears_query(
    session: Session,
    day: date,
    *,
    account_id: int | None = None,
    before: datetime | None = None,
) -> ArrearsQuery:
    plan_bills, overdue = plan_overdue(session, day, before, account_id)
    candidates = None
    if before is None:
        # Today's arrears are among the open bills (Bill.collection_open, kept by the
        # write-off writers): sum only their write-offs and fees, not every one ever.
        candidates = select(Bill.id).where(
            Bill.collection_open.is_(True),
            Bill.kind == BillKind.NORMAL,
            Bill.status == BillStatus.ISSUED,
        )
        if account_id is not None:
            candidates = candidates.where(Bill.account_id == account_id)
    stmt, cols = balance_select(before, candidates)
    if candidates is not None:
        stmt = stmt.where(Bill.collection_open.is_(True))
    own_due = and_(Bill.due_date < day, cols.principal_out > 0)
    if plan_bills:
        own_due = and_(own_due, Bill.id.not_in(sorted(plan_bills)))
    plan_due = Bill.id.in_(sorted(overdue)) if overdue else false()
    stmt = stmt.where(
        Bill.kind == BillKind.NORMAL,
        Bill.status == BillStatus.ISSUED,
        or_(own_due, plan_due, cols.fee_out > 0),
    )
    if account_id is not None:
        stmt = stmt.where(Bill.account_id == account_id)
    return ArrearsQuery(stmt, day, overdue, plan_bills)


def overdue_bills(
    session: Session, day: date, *, account_id: int | None = None
) -> list[OverdueBill]:
    q = arrears_query(session, day, account_id=account_id)
    return [q.row(*r) for r in session.execute(q.stmt.order_by(Bill.due_date, Bill.id)).all()]


def count_overdue(session: Session, q: ArrearsQuery) -> int:
    return int(session.scalar(select(func.count()).select_from(q.stmt.subquery())) or 0)


def account_arrears_fen(session: Session, account_id: int, day: date) -> int:
    """Overdue principal plus every unpaid late fee of the account: what must be paid for
    supply to be restored."""
    return sum(b.arrears_fen for b in overdue_bills(session, day, account_id=account_id))


__all__ = ["ArrearsQuery", "OverdueBill", "account_arrears_fen", "arrears_query", "yuan"]
