"""The capture's view of open bills (PAY-7, BILL-5; see :mod:`.batch`): the accounts' open
bills (and any bill a payment names) locked and balanced in three set-based statements,
and the allocation of a payment over them in integer fen — oldest due date first,
principal before late fee, as ``collection.writeoffs`` writes off one payment."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, func, or_, select
from sqlalchemy import cast as sql_cast

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import BillBalance, fee_fen, fen, yuan
from safegrid.collection.events import BillWrittenOff
from safegrid.collection.models import LateFeeAccrual, WriteOff, WriteOffKind
from safegrid.platform.events import Event
from safegrid.platform.uow import UnitOfWork


def fen_of(amount: Decimal) -> int:
    return int(amount.scaleb(2).to_integral_value())


@dataclasses.dataclass
class OpenBill:
    """An open bill as the allocation sees it (mutated as the batch writes it off)."""

    id: int
    org_unit_id: int
    order: tuple[Any, ...]
    principal_out: int
    fee_out: int


Bills = tuple[dict[int, list["OpenBill"]], dict[int, "OpenBill"]]


def open_bills(uow: UnitOfWork, account_ids: list[int], named: list[int] | None = None) -> Bills:
    """The accounts' open bills, locked in primary-key order, with their outstanding
    principal and late fee (the sums of :mod:`safegrid.collection.balances`, restricted
    to these bills instead of grouped over every write-off), oldest due date first; and
    by id, those bills plus the ``named`` ones (a payment for one bill), open or not."""
    named = named or []
    accounts = set(account_ids)
    is_open = and_(
        Bill.account_id.in_(account_ids),
        Bill.kind == BillKind.NORMAL,
        Bill.status == BillStatus.ISSUED,
    )
    where = (
        or_(is_open, and_(Bill.id.in_(named), Bill.kind == BillKind.NORMAL)) if named else is_open
    )
    rows = uow.session.execute(
        select(
            Bill.id,
            Bill.account_id,
            Bill.org_unit_id,
            Bill.amount,
            Bill.due_date,
            Bill.period,
            Bill.status,
        )
        .where(where)
        .order_by(Bill.id)
        .with_for_update()
    ).all()
    if not rows:
        return {}, {}
    ids = [int(r[0]) for r in rows]
    sign = case((WriteOff.kind == WriteOffKind.UNWIND, -1), else_=1)
    written = {
        int(bid): (int(w or 0), int(f or 0))
        for bid, w, f in uow.session.execute(
            select(
                WriteOff.bill_id,
                func.sum(sign * fen(WriteOff.amount)),
                func.sum(sign * fen(WriteOff.late_fee_part)),
            )
            .where(WriteOff.bill_id.in_(ids))
            .group_by(WriteOff.bill_id)
        ).all()
    }
    accrued = {
        int(bid): int(f or 0)
        for bid, f in uow.session.execute(
            select(
                LateFeeAccrual.bill_id,
                fee_fen(sql_cast(func.sum(LateFeeAccrual.fee_e8), BigInteger)),
            )
            .where(LateFeeAccrual.bill_id.in_(ids))
            .group_by(LateFeeAccrual.bill_id)
        ).all()
    }
    out: dict[int, list[OpenBill]] = {}
    by_id: dict[int, OpenBill] = {}
    for bid, acc, unit, amount, due, period, status in rows:
        w, f = written.get(int(bid), (0, 0))
        balance = BillBalance(
            bill_id=int(bid),
            amount_fen=fen_of(amount),
            principal_written_fen=w - f,
            collected_fen=0,  # not needed to allocate
            fee_total_fen=accrued.get(int(bid), 0),
            fee_paid_fen=f,
        )
        bill = by_id[int(bid)] = OpenBill(
            int(bid),
            int(unit),
            (due, period, int(bid)),
            balance.principal_out_fen,
            balance.fee_out_fen,
        )
        if int(acc) in accounts and status == BillStatus.ISSUED:
            out.setdefault(int(acc), []).append(bill)
    for bills in out.values():
        bills.sort(key=lambda b: b.order)
    return out, by_id


@dataclasses.dataclass
class Plan:
    """What one payment writes off: (bill, principal fen, late fee fen) in order."""

    parts: list[tuple[OpenBill, int, int]]
    applied: int
    directed: int | None = None  # the bill the payment names

    def reference(self, payment_id: int, bill: OpenBill) -> str:
        """A write-off's reference: a payment over several bills suffixes each one's id."""
        if self.directed is not None:
            return f"payment:{payment_id}"
        return f"payment:{payment_id}#{bill.id}"

    def events(self, payment_id: int, account_id: int) -> list[Event]:
        return [
            BillWrittenOff(
                reference=self.reference(payment_id, bill),
                bill_id=bill.id,
                account_id=account_id,
                kind=WriteOffKind.PAYMENT.value,
                amount=str(yuan(p + f)),
                late_fee_part=str(yuan(f)),
                org_unit_id=bill.org_unit_id,
            )
            for bill, p, f in self.parts
        ]


def allocate(amount: Decimal, bills: list[OpenBill], directed: int | None = None) -> Plan:
    """Oldest first, principal before late fee (``writeoffs._write``); the bills' balances
    change in place so the next payment of the account in the batch sees them."""
    budget = fen_of(amount)
    parts: list[tuple[OpenBill, int, int]] = []
    for bill in bills:
        if budget <= 0:
            break
        principal = min(budget, max(bill.principal_out, 0))
        fee = min(budget - principal, bill.fee_out)
        if principal + fee <= 0:
            continue
        bill.principal_out -= principal
        bill.fee_out -= fee
        budget -= principal + fee
        parts.append((bill, principal, fee))
    return Plan(parts, fen_of(amount) - budget, directed)
