"""A disconnection notice as it is printed and served on the customer (BILL-6, issue 13):
who, which account, the overdue bills with their arrears today, and when supply may be cut.

Read-only; the address leaves masked (DATA-3) like every other sensitive value.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from safegrid.collection.arrears import OverdueBill, overdue_bills
from safegrid.collection.balances import yuan
from safegrid.collection.models import DisconnectionNotice
from safegrid.collection.schemas import NoticeOut
from safegrid.customers.models import Account, Customer
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask


@dataclasses.dataclass(frozen=True)
class NoticeBill:
    number: str
    period: str
    due_date: date
    days_overdue: int
    arrears: Decimal


@dataclasses.dataclass(frozen=True)
class NoticeDocument:
    notice: NoticeOut
    account_number: str
    customer_name: str
    address: str  # masked
    unit_name: str
    unit_name_en: str
    bills: list[NoticeBill]
    arrears_today: Decimal
    printed_on: date


def _bill(o: OverdueBill) -> NoticeBill:
    return NoticeBill(
        o.bill.number, o.bill.period, o.bill.due_date, o.days_overdue, yuan(o.arrears_fen)
    )


def notice_document(uow: UnitOfWork, notice_id: int) -> NoticeDocument:
    today = clock.business_day()
    with uow:
        row = uow.session.execute(
            select(DisconnectionNotice, Account, Customer)
            .join(Account, Account.id == DisconnectionNotice.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(DisconnectionNotice.id == notice_id)
        ).first()
        if row is None:
            raise NotFoundError("停电通知不存在 / disconnection notice not found")
        notice, account, customer = row
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.id == notice.org_unit_id)).one()
        bills = [_bill(o) for o in overdue_bills(uow.session, today, account_id=account.id)]
        out = NoticeOut.model_validate(notice)
        out.account_number = account.number
        return NoticeDocument(
            notice=out,
            account_number=account.number,
            customer_name=customer.name,
            address=mask("address", customer.address) or "",
            unit_name=unit.name,
            unit_name_en=unit.name_en or unit.name,
            bills=bills,
            arrears_today=sum((b.arrears for b in bills), Decimal("0.00")),
            printed_on=today,
        )
