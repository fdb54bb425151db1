"""Payment search and the trace of one payment (PAY-7: every yuan traceable to a person,
a receipt and a bank voucher). Read-only; the caller's row scope applies to every query,
so an out-of-scope payment is simply not found."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, Select, func, select

from safegrid.billing.models import Bill
from safegrid.collection.balances import day_start
from safegrid.collection.models import CollectionPosting, WriteOff
from safegrid.customers.models import Account
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import Payment, PaymentEvent, RefundRequest
from safegrid.payments.ledger.schemas import (
    PaymentEventOut,
    PaymentFilter,
    PaymentOut,
    PaymentTrace,
    RefundOut,
    TraceWriteOff,
)
from safegrid.platform import keyset
from safegrid.platform.errors import NotFoundError
from safegrid.platform.keyset import Cursor, Window
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped


def _out(payment: Payment, number: str) -> PaymentOut:
    data = {c: getattr(payment, c) for c in PaymentOut.model_fields if c != "account_number"}
    return PaymentOut(account_number=number, **data)


def _conditions(f: PaymentFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.account_number:
        number = f.account_number.strip()
        where.append(Payment.account_id.in_(select(Account.id).where(Account.number == number)))
    if f.receipt_no:
        where.append(Payment.receipt_no == f.receipt_no.strip())
    if f.key:
        where.append(Payment.idempotency_key == f.key.strip())
    if f.order_id is not None:
        where.append(Payment.order_id == f.order_id)
    if f.status is not None:
        where.append(Payment.status == f.status)
    if f.channel is not None:
        where.append(Payment.channel == f.channel)
    # Business days (Beijing), stored UTC.
    if f.date_from is not None:
        where.append(Payment.captured_at >= day_start(f.date_from))
    if f.date_to is not None:
        where.append(Payment.captured_at < day_start(f.date_to + timedelta(days=1)))
    return where


def _with_numbers() -> Select[Payment, str]:
    return select(Payment, Account.number).join(Account, Account.id == Payment.account_id)


def search(uow: UnitOfWork, f: PaymentFilter, paging: PageQuery) -> Page[PaymentOut]:
    with uow:
        stmt = _with_numbers().where(*_conditions(f))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.execute(
            stmt.order_by(Payment.id.desc()).limit(paging.size).offset(paging.offset)
        ).all()
        return Page(
            items=[_out(p, n) for p, n in rows], total=total, page=paging.page, size=paging.size
        )


def window(uow: UnitOfWork, f: PaymentFilter, cursor: Cursor) -> Window[PaymentOut]:
    """The console's payment search, newest first by keyset: no count of every payment."""
    with uow:
        session = uow.session

        def load(ids: list[int]) -> list[PaymentOut]:
            rows = session.execute(_with_numbers().where(Payment.id.in_(ids))).all()
            return [_out(p, n) for p, n in rows]

        base = select(Payment).where(*_conditions(f))
        return keyset.window(session, base, (Payment.id,), cursor, load, lambda p: p.id)


def trace(uow: UnitOfWork, payment_id: int) -> PaymentTrace:
    with uow:
        s = uow.session
        row = s.execute(
            select(Payment, Account.number)
            .join(Account, Account.id == Payment.account_id)
            .where(Payment.id == payment_id)
        ).first()
        if row is None:
            raise NotFoundError(ledger.PAYMENT_NOT_FOUND)
        payment, number = row
        events = s.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.payment_id == payment.id)
            .order_by(PaymentEvent.id)
        ).all()
        # The payment's own write-offs and the unwinds that took them back. The bills may
        # lie in another unit than the payment's hall; the payment is in scope, so are they.
        postings = select(CollectionPosting.id).where(
            CollectionPosting.reference.in_(
                [payment.posting_reference or ""] + [f"unwind:{e.id}" for e in events]
            )
        )
        write_offs = s.execute(
            select(WriteOff, Bill.number, Bill.period)
            .join(Bill, Bill.id == WriteOff.bill_id)
            .where(WriteOff.posting_id.in_(postings.scalar_subquery()))
            .order_by(WriteOff.id),
            execution_options=unscoped("a payment's write-offs may hit other units' bills"),
        ).all()
        requests = s.scalars(
            select(RefundRequest)
            .where(RefundRequest.payment_id == payment.id)
            .order_by(RefundRequest.id)
        ).all()
        return PaymentTrace(
            payment=_out(payment, number),
            events=[PaymentEventOut.model_validate(e) for e in events],
            write_offs=[
                TraceWriteOff(
                    id=w.id,
                    bill_id=w.bill_id,
                    bill_number=bill_number,
                    period=period,
                    kind=w.kind.value,
                    amount=w.amount,
                    late_fee_part=w.late_fee_part,
                    written_at=w.written_at,
                    unwinds_id=w.unwinds_id,
                )
                for w, bill_number, period in write_offs
            ],
            refund_requests=[RefundOut.model_validate(r) for r in requests],
            account_credit=ledger.credit_balance(uow, payment.account_id),
        )
