"""The exactly-once payment ledger (PAY-7): capture, void, refund.

``capture``/``void``/``refund`` work inside the caller's open unit of work (a counter
payment and its receipt, or an online order and its callback, commit together); the
``do_*`` variants open, audit and commit one themselves. Capture has one implementation,
set-based (:mod:`safegrid.payments.ledger.batch`); ``capture`` here is its batch of one.

Exactly once: a payment is unique by its idempotency key, an event by its reference
(unique constraints). A repeated call finds the first one after taking the account's row
lock and answers ``replayed=True`` without changing anything; two first calls racing on
different accounts lose to the unique constraint, and ``do_*`` turns that into the same
replay. Row locks are always taken in one order — account, payment, bills (primary-key
order), credit — so concurrent payments cannot deadlock.

Every yuan of a payment is either written off a bill (collection's 销账 posting
``payment:<id>``), held as account credit, or given back: ``applied + credited +
refunded = amount`` is a CHECK on the payment row.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import select

from safegrid.collection.unwinds import unwind_posting
from safegrid.customers.models import Account
from safegrid.payments.ledger import batch
from safegrid.payments.ledger.batch import CaptureItem, CaptureResult
from safegrid.payments.ledger.batch_checks import captured_by_key
from safegrid.payments.ledger.batch_checks import replay as first_answer
from safegrid.payments.ledger.credit import change_credit, credit_balance
from safegrid.payments.ledger.events import PaymentRefunded, PaymentVoided
from safegrid.payments.ledger.input import check_amount, check_key
from safegrid.payments.ledger.models import (
    Payment,
    PaymentChannel,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.idempotency import run_once
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

ZERO = Decimal("0.00")
PAYMENT_NOT_FOUND = "缴费记录不存在 / payment not found"
__all__ = [
    "CaptureResult",
    "RefundResult",
    "VoidResult",
    "capture",
    "check_amount",
    "credit_balance",
    "do_capture",
    "do_refund",
    "do_void",
    "refund",
    "void",
]


@dataclasses.dataclass(frozen=True)
class VoidResult:
    payment_id: int
    amount: Decimal  # what the void took back (written off + credit)
    replayed: bool


@dataclasses.dataclass(frozen=True)
class RefundResult:
    payment_id: int
    event_id: int
    amount: Decimal
    refunded_total: Decimal
    status: PaymentStatus
    replayed: bool


def _lock_account(uow: UnitOfWork, account_id: int) -> Account:
    account = uow.session.scalars(
        select(Account).where(Account.id == account_id).with_for_update()
    ).first()
    if account is None:
        raise NotFoundError("户号不存在 / account not found", field="account_id")
    return account


def capture(
    uow: UnitOfWork,
    *,
    account_id: int,
    amount: Decimal,
    channel: PaymentChannel,
    idempotency_key: str,
    bill_id: int | None = None,
    receipt_no: str | None = None,
    hall_id: int | None = None,
    order_id: int | None = None,
    cashier: str | None = None,
) -> CaptureResult:
    """One payment in the caller's open unit of work: the set-based capture's batch of one
    (:mod:`safegrid.payments.ledger.batch`); a refusal is raised."""
    return batch.capture(
        uow,
        CaptureItem(
            account_id=account_id,
            amount=amount,
            channel=channel,
            idempotency_key=idempotency_key,
            bill_id=bill_id,
            receipt_no=receipt_no,
            hall_id=hall_id,
            order_id=order_id,
            cashier=cashier,
        ),
    )


def _lock_payment(uow: UnitOfWork, payment_id: int) -> tuple[Payment, Account]:
    found = uow.session.scalar(select(Payment.account_id).where(Payment.id == payment_id))
    if found is None:
        raise NotFoundError(PAYMENT_NOT_FOUND)
    account = _lock_account(uow, found)
    payment = uow.session.scalars(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return payment, account


def _event(uow: UnitOfWork, reference: str, payment_id: int) -> PaymentEvent | None:
    event = uow.session.scalars(
        select(PaymentEvent).where(PaymentEvent.reference == reference),
        execution_options=unscoped("event references are unique utility-wide"),
    ).first()
    if event is not None and event.payment_id != payment_id:
        raise ConflictError(
            "流水号已用于另一笔缴费 / reference already used for another payment",
            field="reference",
        )
    return event


def _take_back(
    uow: UnitOfWork,
    payment: Payment,
    account: Account,
    kind: PaymentEventKind,
    reference: str,
    amount: Decimal,
    reason: str | None,
) -> PaymentEvent:
    """Give ``amount`` of the payment back: from its credit first, then its write-offs."""
    from_credit = min(amount, payment.credited)
    from_bills = amount - from_credit
    event = PaymentEvent(
        payment_id=payment.id,
        kind=kind,
        reference=reference,
        amount=amount,
        applied=from_bills,
        credited=from_credit,
        reason=reason,
        at=clock.now(),
        by=uow.actor.username,
        org_unit_id=payment.org_unit_id,
    )
    uow.session.add(event)
    uow.session.flush()
    if from_credit > 0:
        change_credit(uow, account, -from_credit)
    if from_bills > 0:
        assert payment.posting_reference is not None
        unwind_posting(uow, payment.posting_reference, from_bills, f"unwind:{event.id}")
    payment.credited -= from_credit
    payment.applied -= from_bills
    payment.refunded += amount
    return event


def void(uow: UnitOfWork, payment_id: int, *, reason: str, reference: str) -> VoidResult:
    check_key(reference, "reference")
    if not reason.strip():
        raise ValidationProblem("须填写作废原因 / a reason is required", field="reason")
    payment, account = _lock_payment(uow, payment_id)
    done = _event(uow, f"void:{reference}", payment_id)
    if done is not None:
        return VoidResult(payment_id, done.amount, replayed=True)
    if payment.status != PaymentStatus.CAPTURED or payment.refunded > 0:
        raise ConflictError(
            "只能作废未退款的已收款项 / only a captured, unrefunded payment can be voided",
            field="payment_id",
        )
    amount = payment.amount
    _take_back(uow, payment, account, PaymentEventKind.VOIDED, f"void:{reference}", amount, reason)
    payment.status = PaymentStatus.VOIDED
    uow.audit(
        "payment.void",
        object_type="payment",
        object_id=payment.id,
        org_unit_id=payment.org_unit_id,
        before={"status": PaymentStatus.CAPTURED.value},
        after={"status": payment.status.value, "reason": reason, "reference": reference},
    )
    uow.emit(PaymentVoided(payment.id, payment.account_id, str(amount), payment.org_unit_id))
    return VoidResult(payment.id, amount, replayed=False)


def refund(uow: UnitOfWork, payment_id: int, amount: Decimal, *, reference: str) -> RefundResult:
    check_amount(amount)
    check_key(reference, "reference")
    payment, account = _lock_payment(uow, payment_id)
    done = _event(uow, f"refund:{reference}", payment_id)
    if done is not None:
        return RefundResult(
            payment.id, done.id, done.amount, payment.refunded, payment.status, replayed=True
        )
    if payment.status != PaymentStatus.CAPTURED:
        raise ConflictError(
            "该缴费不能退款 / this payment can no longer be refunded", field="payment_id"
        )
    if amount > payment.amount - payment.refunded:
        raise ValidationProblem(
            "退款金额超过可退金额 / the refund is more than is left of the payment",
            field="amount",
        )
    before = str(payment.refunded)
    event = _take_back(
        uow, payment, account, PaymentEventKind.REFUNDED, f"refund:{reference}", amount, None
    )
    if payment.refunded == payment.amount:
        payment.status = PaymentStatus.REFUNDED
    uow.audit(
        "payment.refund",
        object_type="payment",
        object_id=payment.id,
        org_unit_id=payment.org_unit_id,
        before={"refunded": before},
        after={"refunded": str(payment.refunded), "status": payment.status.value},
    )
    uow.emit(
        PaymentRefunded(
            payment.id, payment.account_id, str(amount), str(payment.refunded), payment.org_unit_id
        )
    )
    return RefundResult(
        payment.id, event.id, amount, payment.refunded, payment.status, replayed=False
    )


def do_capture(
    uow: UnitOfWork,
    *,
    account_id: int,
    amount: Decimal,
    channel: PaymentChannel,
    idempotency_key: str,
    bill_id: int | None = None,
    receipt_no: str | None = None,
    hall_id: int | None = None,
    order_id: int | None = None,
    cashier: str | None = None,
) -> CaptureResult:
    item = CaptureItem(
        account_id=account_id,
        amount=amount,
        channel=channel,
        idempotency_key=idempotency_key,
        bill_id=bill_id,
        receipt_no=receipt_no,
        hall_id=hall_id,
        order_id=order_id,
        cashier=cashier,
    )

    def replay() -> CaptureResult | None:
        found = captured_by_key(uow, [idempotency_key]).get(idempotency_key)
        if found is None:
            return None
        answer = first_answer(found, item)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return run_once(uow, lambda: batch.capture(uow, item), replay)


def do_void(uow: UnitOfWork, payment_id: int, *, reason: str, reference: str) -> VoidResult:
    def replay() -> VoidResult | None:
        done = _event(uow, f"void:{reference}", payment_id)
        return None if done is None else VoidResult(payment_id, done.amount, replayed=True)

    return run_once(uow, lambda: void(uow, payment_id, reason=reason, reference=reference), replay)


def do_refund(uow: UnitOfWork, payment_id: int, amount: Decimal, *, reference: str) -> RefundResult:
    def replay() -> RefundResult | None:
        done = _event(uow, f"refund:{reference}", payment_id)
        if done is None:
            return None
        payment = uow.session.get_one(Payment, payment_id)
        return RefundResult(
            payment_id, done.id, done.amount, payment.refunded, payment.status, replayed=True
        )

    return run_once(uow, lambda: refund(uow, payment_id, amount, reference=reference), replay)
