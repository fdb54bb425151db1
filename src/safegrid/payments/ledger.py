"""The exactly-once payment ledger (PAY-7): capture, void, refund.

``capture``/``void``/``refund`` work inside the caller's open unit of work (a counter
payment and its receipt, or an online order and its callback, commit together); the
``do_*`` variants open, audit and commit one themselves.

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

from safegrid.billing.models import Bill
from safegrid.collection.unwinds import unwind_posting
from safegrid.collection.writeoffs import apply_write_off, apply_write_off_oldest_first
from safegrid.customers.models import Account
from safegrid.payments.credit import change_credit, credit_balance
from safegrid.payments.events import PaymentCaptured, PaymentRefunded, PaymentVoided
from safegrid.payments.ledger_input import check_amount, check_key
from safegrid.payments.models import (
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
class CaptureResult:
    payment_id: int
    applied: Decimal
    credited: Decimal
    replayed: bool


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


def _by_key(uow: UnitOfWork, key: str) -> Payment | None:
    return uow.session.scalars(
        select(Payment).where(Payment.idempotency_key == key),
        execution_options=unscoped("idempotency keys are unique utility-wide"),
    ).first()


def _replay_capture(
    uow: UnitOfWork, payment: Payment, account_id: int, amount: Decimal
) -> CaptureResult:
    if payment.account_id != account_id or payment.amount != amount:
        raise ConflictError(
            "幂等键已用于另一笔缴费 / idempotency key already used for another payment",
            field="idempotency_key",
        )
    # The first capture's answer: what it applied and credited then.
    first = uow.session.scalars(
        select(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id,
            PaymentEvent.kind == PaymentEventKind.CAPTURED,
        ),
        execution_options=unscoped("the first capture of a replayed key"),
    ).one()
    return CaptureResult(payment.id, first.applied, first.credited, replayed=True)


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
    check_amount(amount)
    check_key(idempotency_key, "idempotency_key")
    account = _lock_account(uow, account_id)
    # After the lock: a concurrent capture with this key has committed by now.
    existing = _by_key(uow, idempotency_key)
    if existing is not None:
        return _replay_capture(uow, existing, account_id, amount)
    if order_id is not None and uow.session.scalar(
        select(Payment.id).where(Payment.order_id == order_id),
        execution_options=unscoped("an order is paid once, utility-wide"),
    ):
        raise ConflictError("订单已缴费 / the order is already paid", field="order_id")
    if bill_id is not None:
        bill = uow.session.scalars(select(Bill).where(Bill.id == bill_id)).first()
        if bill is None:
            raise NotFoundError("账单不存在 / bill not found", field="bill_id")
        if bill.account_id != account_id:
            raise ValidationProblem(
                "账单不属于该户号 / the bill belongs to another account", field="bill_id"
            )
    now = clock.now()
    payment = Payment(
        idempotency_key=idempotency_key,
        account_id=account_id,
        bill_id=bill_id,
        channel=channel,
        status=PaymentStatus.CAPTURED,
        amount=amount,
        # Everything is credit until the write-off below says how much found a bill.
        applied=ZERO,
        credited=amount,
        refunded=ZERO,
        receipt_no=receipt_no,
        hall_id=hall_id,
        cashier=cashier,
        order_id=order_id,
        captured_at=now,
        captured_by=uow.actor.username,
        org_unit_id=account.org_unit_id,
    )
    uow.session.add(payment)
    uow.session.flush()
    reference = f"payment:{payment.id}"
    if bill_id is not None:
        written = apply_write_off(uow, bill_id, amount, reference)
    else:
        written = apply_write_off_oldest_first(uow, account_id, amount, reference)
    credited = amount - written.applied
    if credited > 0:
        change_credit(uow, account, credited)
    payment.applied, payment.credited = written.applied, credited
    payment.posting_reference = reference
    uow.session.add(
        PaymentEvent(
            payment_id=payment.id,
            kind=PaymentEventKind.CAPTURED,
            reference=f"capture:{payment.id}",
            amount=amount,
            applied=written.applied,
            credited=credited,
            at=now,
            by=uow.actor.username,
            org_unit_id=account.org_unit_id,
        )
    )
    uow.audit(
        "payment.capture",
        object_type="payment",
        object_id=payment.id,
        org_unit_id=account.org_unit_id,
        after={
            "account_id": account_id,
            "channel": channel.value,
            "amount": str(amount),
            "applied": str(written.applied),
            "credited": str(credited),
            "bills": written.bill_ids,
            "receipt_no": receipt_no,
            "order_id": order_id,
            "cashier": cashier,
        },
    )
    uow.emit(
        PaymentCaptured(
            payment_id=payment.id,
            account_id=account_id,
            channel=channel.value,
            amount=str(amount),
            applied=str(written.applied),
            credited=str(credited),
            org_unit_id=account.org_unit_id,
        )
    )
    return CaptureResult(payment.id, written.applied, credited, replayed=False)


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
    def work() -> CaptureResult:
        return capture(
            uow,
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
        found = _by_key(uow, idempotency_key)
        return None if found is None else _replay_capture(uow, found, account_id, amount)

    return run_once(uow, work, replay)


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
