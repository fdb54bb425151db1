"""What the public payment portal shows for an account number (户号): the customer's name
masked, the open bills with what is still owed, and today's online limit (PAY-3)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import balances, yuan
from safegrid.customers.models import Customer, CustomerKind
from safegrid.payments.online.limits import daily_limit, used_today
from safegrid.payments.online.orders import find_account
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped


@dataclasses.dataclass(frozen=True)
class OpenBill:
    period: str
    amount: Decimal
    outstanding: Decimal


@dataclasses.dataclass(frozen=True)
class AccountSummary:
    account_no: str
    masked_name: str
    kind: str
    bills: list[OpenBill]
    outstanding: Decimal
    limit: Decimal
    left_today: Decimal


def mask_name(name: str, kind: CustomerKind) -> str:
    """张三丰 → 张**; an enterprise keeps its first two and last two characters."""
    if kind == CustomerKind.ENTERPRISE and len(name) > 4:
        return name[:2] + "*" * (len(name) - 4) + name[-2:]
    return name[:1] + "*" * max(len(name) - 1, 1)


def account_summary(uow: UnitOfWork, account_no: str) -> AccountSummary:
    with uow:
        account = find_account(uow, account_no)
        customer = uow.session.get(Customer, account.customer_id)
        assert customer is not None
        bills = list(
            uow.session.scalars(
                select(Bill)
                .where(
                    Bill.account_id == account.id,
                    Bill.kind == BillKind.NORMAL,
                    Bill.status == BillStatus.ISSUED,
                )
                .order_by(Bill.due_date, Bill.id),
                execution_options=unscoped("the payer's own bills, on the public portal"),
            )
        )
        owed = balances(uow.session, [b.id for b in bills])
        open_bills = [
            OpenBill(b.period, b.amount, yuan(owed[b.id].outstanding_fen))
            for b in bills
            if b.id in owed and owed[b.id].outstanding_fen > 0
        ]
        now = clock.now()
        limit = daily_limit(customer.kind)
        used = used_today(uow, account.id, clock.business_day(now), now)
        return AccountSummary(
            account_no=account.number,
            masked_name=mask_name(customer.name, customer.kind),
            kind=customer.kind.value,
            bills=open_bills,
            outstanding=sum((b.outstanding for b in open_bills), Decimal("0.00")),
            limit=limit,
            left_today=max(limit - used, Decimal("0.00")),
        )
