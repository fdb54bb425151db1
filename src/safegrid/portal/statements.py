"""What a portal customer reads about one of his accounts (HALL-10): bills open and paid,
a year of usage for the chart, the bill and arrears notices sent about it, and the newest
tariff advice (ANA-4, through :mod:`.tariff_advice`). Every read
starts from ``accounts.bound_account``: an account he has not bound is "not bound"."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import func, or_, select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import balances, yuan
from safegrid.notifications.models import Notification
from safegrid.platform.uow import UnitOfWork
from safegrid.portal.accounts import BoundAccount, owned
from safegrid.portal.identity import PortalIdentity
from safegrid.portal.tariff_advice import PortalAdvice, reader
from safegrid.readings.models import MonthlyUsage

BILLS: Final = 24
MONTHS: Final = 12
NOTICES: Final = 10


@dataclasses.dataclass(frozen=True)
class PortalBill:
    id: int
    period: str
    kwh: Decimal
    amount: Decimal
    outstanding: Decimal
    due_date: date

    @property
    def is_open(self) -> bool:
        return self.outstanding > 0


@dataclasses.dataclass(frozen=True)
class PortalNotice:
    sent_at: Any
    topic: str
    body: str


@dataclasses.dataclass(frozen=True)
class AccountStatement:
    account: BoundAccount
    bills: list[PortalBill]
    usage: list[tuple[str, Decimal]]  # (period, kWh), oldest first
    notices: list[PortalNotice]
    advice: PortalAdvice | None

    @property
    def outstanding(self) -> Decimal:
        return sum((b.outstanding for b in self.bills), Decimal("0.00"))

    def chart(self) -> dict[str, Any]:
        return {"labels": [p for p, _ in self.usage], "kwh": [str(k) for _, k in self.usage]}


def statement(uow: UnitOfWork, me: PortalIdentity, account_no: str) -> AccountStatement:
    with uow:
        account = owned(uow, me, account_no)
        s = uow.session
        bills = s.scalars(
            select(Bill)
            .where(
                Bill.account_id == account.account_id,
                Bill.kind == BillKind.NORMAL,
                Bill.status == BillStatus.ISSUED,
            )
            .order_by(Bill.period.desc(), Bill.id.desc())
            .limit(BILLS)
        ).all()
        owed = balances(s, [b.id for b in bills])
        out = [
            PortalBill(
                b.id,
                b.period,
                b.kwh,
                b.amount,
                yuan(max(owed[b.id].outstanding_fen, 0)) if b.id in owed else Decimal("0.00"),
                b.due_date,
            )
            for b in bills
        ]
        usage_rows = s.execute(
            select(MonthlyUsage.period, func.sum(MonthlyUsage.kwh))
            .where(MonthlyUsage.account_id == account.account_id)
            .group_by(MonthlyUsage.period)
            .order_by(MonthlyUsage.period.desc())
            .limit(MONTHS)
        ).all()
        notices = s.scalars(
            select(Notification)
            .where(
                or_(
                    (Notification.subject_type == "bill")
                    & Notification.subject_id.in_([str(b.id) for b in bills]),
                    (Notification.subject_type == "account")
                    & (Notification.subject_id == str(account.account_id)),
                )
            )
            .order_by(Notification.id.desc())
            .limit(NOTICES)
        ).all()
        return AccountStatement(
            account,
            out,
            [(p, Decimal(k or 0)) for p, k in reversed(usage_rows)],
            [PortalNotice(n.created_at, n.topic, n.body) for n in notices],
            reader()(uow, account.account_id),
        )
