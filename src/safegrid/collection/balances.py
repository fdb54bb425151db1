"""A bill's balance, computed live from its write-offs and late-fee accruals (never cached).

Sums run in SQL on integers (fen, and 1e-8 yuan for late fees): SQLite stores NUMERIC as
floating point, and a sum of a million floats is not right to the fen; integer sums are,
on every backend. All statements are ORM selects, so the session's scope applies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, case, cast, func, or_, select, update
from sqlalchemy.orm import Session

from safegrid.billing.models import Bill
from safegrid.collection.models import (
    Instalment,
    InstalmentPlan,
    InstalmentPlanBill,
    LateFeeAccrual,
    PlanStatus,
    WriteOff,
    WriteOffKind,
)
from safegrid.platform.clock import BUSINESS_TZ

HUNDRED = Decimal(100)
E6 = 1_000_000  # 1e-8 yuan per fen


def fen(column: Any) -> Any:
    """A money column as an exact integer number of fen."""
    return cast(func.round(column * 100), BigInteger)


def yuan(fen_value: int | None) -> Decimal:
    return Decimal(int(fen_value or 0)).scaleb(-2)  # exact, always two places


def fee_fen(fee_e8: Any) -> Any:
    """Late fee of a bill: its accruals' sum rounded once to the fen, half-up (fees ≥ 0)."""
    # PostgreSQL sums BIGINT to NUMERIC; cast back so ``//`` is integer division there too.
    return (cast(fee_e8, BigInteger) + E6 // 2) // E6


def day_start(day: date) -> datetime:
    """Midnight in Beijing: write-offs before it count for the balance of ``day``."""
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TZ)


def written_per_bill(before: datetime | None = None, bills: Any = None) -> Any:
    """Per-bill sums of the write-offs; ``bills`` (a select of bill ids) limits them to the
    bills a report is about, so a month's report does not add up every write-off ever."""
    # An unwind (a voided or refunded payment) takes back part of a payment write-off.
    sign = case((WriteOff.kind == WriteOffKind.UNWIND, -1), else_=1)
    stmt = select(
        WriteOff.bill_id.label("bill_id"),
        func.sum(sign * fen(WriteOff.amount)).label("written_fen"),
        func.sum(sign * fen(WriteOff.late_fee_part)).label("fee_paid_fen"),
        func.sum(
            case(
                (WriteOff.kind.in_([WriteOffKind.PAYMENT, WriteOffKind.UNWIND]), sign),
                else_=0,
            )
            * fen(WriteOff.amount)
        ).label("collected_fen"),
    ).group_by(WriteOff.bill_id)
    if before is not None:
        stmt = stmt.where(WriteOff.written_at < before)
    if bills is not None:
        stmt = stmt.where(WriteOff.bill_id.in_(bills))
    return stmt.subquery("written")


def accrued_per_bill(bills: Any = None) -> Any:
    stmt = select(
        LateFeeAccrual.bill_id.label("bill_id"),
        cast(func.sum(LateFeeAccrual.fee_e8), BigInteger).label("fee_e8"),
    ).group_by(LateFeeAccrual.bill_id)
    if bills is not None:
        stmt = stmt.where(LateFeeAccrual.bill_id.in_(bills))
    return stmt.subquery("accrued")


@dataclasses.dataclass(frozen=True)
class BillBalance:
    bill_id: int
    amount_fen: int
    principal_written_fen: int
    collected_fen: int
    fee_total_fen: int
    fee_paid_fen: int

    @property
    def principal_out_fen(self) -> int:
        return self.amount_fen - self.principal_written_fen

    @property
    def fee_out_fen(self) -> int:
        return max(self.fee_total_fen - self.fee_paid_fen, 0)

    @property
    def outstanding_fen(self) -> int:
        return self.principal_out_fen + self.fee_out_fen


@dataclasses.dataclass(frozen=True)
class BalanceColumns:
    """SQL expressions of a bill's balance (integers, fen), over ``Bill`` joined by
    :func:`balance_select`."""

    principal_written: Any
    collected: Any
    fee_total: Any
    fee_paid: Any

    @property
    def principal_out(self) -> Any:
        return fen(Bill.amount) - self.principal_written

    @property
    def fee_out(self) -> Any:
        return self.fee_total - self.fee_paid


def balance_select(
    before: datetime | None = None, bills: Any = None
) -> tuple[Select[Any], BalanceColumns]:
    """Bills with their balance columns; callers add filters and ordering. ``bills`` (ids,
    or a select of them) limits the write-offs and fees summed to those bills: a caller
    about one account must not add up every write-off in scope."""
    w = written_per_bill(before, bills)
    a = accrued_per_bill(bills)
    cols = BalanceColumns(
        principal_written=func.coalesce(w.c.written_fen, 0) - func.coalesce(w.c.fee_paid_fen, 0),
        collected=func.coalesce(w.c.collected_fen, 0),
        fee_total=fee_fen(func.coalesce(a.c.fee_e8, 0)),
        fee_paid=func.coalesce(w.c.fee_paid_fen, 0),
    )
    stmt = (
        select(Bill, cols.principal_written, cols.collected, cols.fee_total, cols.fee_paid)
        .outerjoin(w, w.c.bill_id == Bill.id)
        .outerjoin(a, a.c.bill_id == Bill.id)
    )
    return stmt, cols


def to_balance(
    bill: Bill, written: Any, collected: Any, fee_total: Any, fee_paid: Any
) -> BillBalance:
    return BillBalance(
        bill_id=bill.id,
        amount_fen=int((bill.amount * HUNDRED).to_integral_value()),
        principal_written_fen=int(written or 0),
        collected_fen=int(collected or 0),
        fee_total_fen=int(fee_total or 0),
        fee_paid_fen=int(fee_paid or 0),
    )


def balances(session: Session, bill_ids: Iterable[int]) -> dict[int, BillBalance]:
    ids = sorted(set(bill_ids))
    if not ids:
        return {}
    stmt, _ = balance_select(bills=ids)
    rows = session.execute(stmt.where(Bill.id.in_(ids))).all()
    return {row[0].id: to_balance(*row) for row in rows}


def refresh_open(session: Session, bill_ids: Iterable[int]) -> None:
    """Sets ``Bill.collection_open`` of these bills from their balance now: open while
    principal or late fee is owed. Every writer of write-offs calls it for the bills it
    wrote to, in its own transaction (set-based: one read, one executemany)."""
    ids = sorted(set(bill_ids))
    if not ids:
        return
    stmt, cols = balance_select(bills=ids)
    is_open = or_(cols.principal_out > 0, cols.fee_out > 0)
    rows = session.execute(
        stmt.with_only_columns(Bill.id, Bill.collection_open, is_open).where(Bill.id.in_(ids))
    ).all()
    changed = [
        {"b_id": bid, "b_open": bool(now)} for bid, was, now in rows if bool(was) != bool(now)
    ]
    if changed:
        # Core executemany by primary key; the rows are the writer's own (already in scope).
        bills: Any = Bill.__table__
        session.execute(
            update(bills)
            .where(bills.c.id == bindparam("b_id"))
            .values(collection_open=bindparam("b_open")),
            changed,
        )


@dataclasses.dataclass(frozen=True)
class PlanOverdue:
    """A bill under an instalment plan is overdue only by its share of the plan's overdue,
    unpaid instalments (allocated to the plan's bills oldest first, as payments are)."""

    principal_fen: int
    since: date  # due date of the oldest unpaid overdue instalment


def plan_overdue(
    session: Session, day: date, before: datetime | None = None, account_id: int | None = None
) -> tuple[set[int], dict[int, PlanOverdue]]:
    """(every bill under an active plan, the overdue share of those overdue on ``day``)."""
    plan_stmt = select(InstalmentPlan).where(InstalmentPlan.status == PlanStatus.ACTIVE)
    if account_id is not None:
        plan_stmt = plan_stmt.where(InstalmentPlan.account_id == account_id)
    plans = session.scalars(plan_stmt).all()
    if not plans:
        return set(), {}
    plan_ids = [p.id for p in plans]
    links = session.execute(
        select(InstalmentPlanBill.plan_id, Bill)
        .join(Bill, Bill.id == InstalmentPlanBill.bill_id)
        .where(InstalmentPlanBill.plan_id.in_(plan_ids))
        .order_by(Bill.due_date, Bill.id)
    ).all()
    instalments = session.scalars(
        select(Instalment).where(Instalment.plan_id.in_(plan_ids)).order_by(Instalment.seq)
    ).all()
    bills_of: dict[int, list[Bill]] = {}
    for plan_id, bill in links:
        bills_of.setdefault(plan_id, []).append(bill)
    all_ids = {b.id for bs in bills_of.values() for b in bs}
    w = written_per_bill(before)
    written = {
        int(bid): int(wf or 0) - int(fp or 0)
        for bid, wf, fp in session.execute(
            select(w.c.bill_id, w.c.written_fen, w.c.fee_paid_fen).where(
                w.c.bill_id.in_(sorted(all_ids))
            )
        ).all()
    }
    overdue: dict[int, PlanOverdue] = {}
    for plan in plans:
        bills = bills_of.get(plan.id, [])
        paid = sum(written.get(b.id, 0) for b in bills) - int(plan.base_written * HUNDRED)
        due_fen, since = 0, None
        cumulative = 0
        for inst in (i for i in instalments if i.plan_id == plan.id):
            cumulative += int(inst.amount * HUNDRED)
            if inst.due_date < day and cumulative > paid:
                due_fen = cumulative - max(paid, 0)
                since = since or inst.due_date
        if due_fen <= 0 or since is None:
            continue
        for bill in bills:  # oldest first
            out = int(bill.amount * HUNDRED) - written.get(bill.id, 0)
            share = min(out, due_fen)
            if share > 0:
                overdue[bill.id] = PlanOverdue(share, since)
                due_fen -= share
    return all_ids, overdue
