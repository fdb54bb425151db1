"""Reads of the counter pages and API (PAY-1, PAY-2), under the caller's row scope."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection import balances as bal
from safegrid.customers.models import Account, Customer
from safegrid.org.models import OrgUnit
from safegrid.payments.counter import halls
from safegrid.payments.counter.models import (
    BankDeposit,
    CounterReceipt,
    DrawerSettlement,
    ReceiptStatus,
)
from safegrid.payments.counter.schemas import (
    AccountAtCounter,
    DepositOut,
    OpenBill,
    ReceiptOut,
    SettlementOut,
)
from safegrid.payments.ledger import services as ledger
from safegrid.platform.errors import NotFoundError
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount

LIST_LIMIT = 500


def account_at_counter(uow: UnitOfWork, account_no: str) -> AccountAtCounter:
    """The account behind a 户号 with its open bills (oldest first) and its credit."""
    with uow:
        row = uow.session.execute(
            select(Account, Customer.name)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.number == account_no.strip())
        ).first()
        if row is None:
            raise NotFoundError("户号不存在 / account not found", field="account_no")
        account, name = row
        stmt, _cols = bal.balance_select(bills=select(Bill.id).where(Bill.account_id == account.id))
        bills = uow.session.execute(
            stmt.where(
                Bill.account_id == account.id,
                Bill.kind == BillKind.NORMAL,
                Bill.status == BillStatus.ISSUED,
            ).order_by(Bill.due_date, Bill.period, Bill.id)
        ).all()
        open_bills = []
        for found in bills:
            balance = bal.to_balance(*found)
            if balance.outstanding_fen > 0:
                bill = found[0]
                open_bills.append(
                    OpenBill(
                        bill_id=bill.id,
                        number=bill.number,
                        period=bill.period,
                        due_date=bill.due_date,
                        outstanding=bal.yuan(balance.outstanding_fen),
                    )
                )
        return AccountAtCounter(
            account_id=account.id,
            account_no=account.number,
            customer_name=name,
            open_bills=open_bills,
            outstanding=sum((b.outstanding for b in open_bills), ledger.ZERO),
            credit=ledger.credit_balance(uow, account.id),
        )


def receipt(uow: UnitOfWork, receipt_id: int) -> ReceiptOut:
    with uow:
        row = uow.session.get(CounterReceipt, receipt_id)
        if row is None:
            raise NotFoundError("收据不存在 / receipt not found")
        return ReceiptOut.model_validate(row)


def _receipt_filter(
    day: date | None,
    status: ReceiptStatus | None,
    hall_id: int | None,
    cashier_id: int | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if day is not None:
        where.append(CounterReceipt.business_day == day)
    if status is not None:
        where.append(CounterReceipt.status == status)
    if hall_id is not None:
        where.append(CounterReceipt.org_unit_id == hall_id)
    if cashier_id is not None:
        where.append(CounterReceipt.cashier_id == cashier_id)
    return where


def receipts(
    uow: UnitOfWork,
    *,
    day: date | None = None,
    status: ReceiptStatus | None = None,
    hall_id: int | None = None,
    cashier_id: int | None = None,
) -> list[ReceiptOut]:
    with uow:
        stmt = select(CounterReceipt).order_by(CounterReceipt.id.desc()).limit(LIST_LIMIT)
        stmt = stmt.where(*_receipt_filter(day, status, hall_id, cashier_id))
        return [ReceiptOut.model_validate(r) for r in uow.session.scalars(stmt).all()]


@dataclasses.dataclass(frozen=True)
class ReceiptPage:
    """One page of receipts, newest first, with the count and the (non-void) sum of all."""

    page: Page[ReceiptOut]
    total_amount: Decimal


def receipt_page(
    uow: UnitOfWork,
    paging: PageQuery,
    *,
    day: date | None = None,
    cashier_id: int | None = None,
) -> ReceiptPage:
    where = _receipt_filter(day, None, None, cashier_id)
    with uow:
        count, amount = uow.session.execute(
            select(
                func.count(),
                func.sum(
                    case(
                        (CounterReceipt.status != ReceiptStatus.VOIDED, CounterReceipt.amount),
                        else_=0,
                    )
                ),
            )
            .select_from(CounterReceipt)
            .where(*where)
        ).one()
        rows = uow.session.scalars(
            select(CounterReceipt)
            .where(*where)
            .order_by(CounterReceipt.id.desc())
            .offset(paging.offset)
            .limit(paging.size)
        ).all()
        items = [ReceiptOut.model_validate(r) for r in rows]
    total = Decimal(str(amount or 0)).quantize(Decimal("0.01"))
    return ReceiptPage(
        Page(items=items, total=int(count), page=paging.page, size=paging.size), total
    )


def settlements(uow: UnitOfWork, day: date, hall_id: int | None = None) -> list[SettlementOut]:
    with uow:
        stmt = select(DrawerSettlement).where(DrawerSettlement.business_day == day)
        if hall_id is not None:
            stmt = stmt.where(DrawerSettlement.org_unit_id == hall_id)
        rows = uow.session.scalars(stmt.order_by(DrawerSettlement.id)).all()
        return [SettlementOut.model_validate(r) for r in rows]


def deposits(uow: UnitOfWork, day: date | None = None) -> list[DepositOut]:
    with uow:
        stmt = select(BankDeposit).order_by(BankDeposit.id.desc()).limit(LIST_LIMIT)
        if day is not None:
            stmt = stmt.where(BankDeposit.business_day == day)
        return [DepositOut.model_validate(r) for r in uow.session.scalars(stmt).all()]


def deposit(uow: UnitOfWork, deposit_id: int) -> DepositOut:
    with uow:
        row = uow.session.get(BankDeposit, deposit_id)
        if row is None:
            raise NotFoundError("解款记录不存在 / deposit not found")
        return DepositOut.model_validate(row)


def my_halls(uow: UnitOfWork) -> list[OrgUnit]:
    """The halls the acting person works at (usually one)."""
    with uow:
        unit = uow.actor.org_unit_id
        found = halls.halls_of(uow, unit) if unit is not None else []
        uow.session.expunge_all()
        return found


def hall_staff_choices(uow: UnitOfWork, hall_id: int) -> list[tuple[int, str, str]]:
    """(id, username, real name) of the active staff of a hall whose post deposits cash:
    the depositor choices (the same rule ``halls.hall_staff`` checks on the way in)."""
    with uow:
        unit = halls.hall(uow, hall_id)
        rows = uow.session.execute(
            select(StaffAccount.id, StaffAccount.username, StaffAccount.real_name)
            .where(
                StaffAccount.org_unit_id.in_([unit.id, unit.parent_id or unit.id]),
                StaffAccount.status == AccountStatus.ACTIVE,
                StaffAccount.post.in_(halls.deposit_posts()),
            )
            .order_by(StaffAccount.username)
        ).all()
        return [(int(i), str(u), str(n)) for i, u, n in rows]
