"""The counter (PAY-1): a cashier takes a payment and signs its receipt, and a checker of
the same hall counts the money and signs too (voids, which need both of them:
:mod:`safegrid.payments.counter.voids`).

Every step is one unit of work with its audit entry and event. A payment, its receipt
number (:mod:`safegrid.payments.counter.receipts`) and its write-off (the ledger) commit together:
a failure anywhere rolls all three back and the number is issued again to the next payment.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.customers.models import Account
from safegrid.payments.counter import halls, receipts, shortages
from safegrid.payments.counter.events import (
    CounterPaymentRecorded,
    CounterReceiptConfirmed,
)
from safegrid.payments.counter.models import CounterMethod, CounterReceipt, ReceiptStatus
from safegrid.payments.counter.schemas import ConfirmIn, PaymentIn, ReceiptOut
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm

RECEIPT_NOT_FOUND = "收据不存在 / receipt not found"
CHECKER_IS_CASHIER = (
    "复核员不能是本笔收款的收费员 / the checker cannot be the cashier who took this payment"
)
CHANNELS = {
    CounterMethod.CASH: PaymentChannel.COUNTER_CASH,
    CounterMethod.CARD: PaymentChannel.COUNTER_CARD,
}


def check_counter_amount(amount: Decimal, field: str = "amount") -> Decimal:
    if not amount.is_finite() or amount <= 0:
        raise ValidationProblem("金额必须大于零 / the amount must be greater than 0", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationProblem("金额最多两位小数 / at most two decimals (fen)", field=field)
    limit = get_counter_settings().max_amount
    if amount > limit:
        raise ValidationProblem(
            f"柜台单笔收款上限 {limit} 元 / a counter payment may not exceed {limit} yuan",
            field=field,
        )
    return amount


def _check_payment(data: PaymentIn) -> None:
    check_counter_amount(data.amount)
    voucher = (data.card_voucher or "").strip()
    if data.method == CounterMethod.CARD and not voucher:
        raise ValidationProblem(
            "刷卡须填写POS凭证号 / a card payment needs the POS slip reference",
            field="card_voucher",
        )
    if data.method == CounterMethod.CASH and voucher:
        raise ValidationProblem(
            "现金收款没有POS凭证号 / a cash payment has no POS slip reference",
            field="card_voucher",
        )
    if data.tendered is not None:
        if data.method != CounterMethod.CASH:
            raise ValidationProblem(
                "只有现金收款有实收与找零 / only a cash payment has money tendered and change",
                field="tendered",
            )
        if not data.tendered.is_finite() or data.tendered != data.tendered.quantize(
            Decimal("0.01")
        ):
            raise ValidationProblem(
                "金额最多两位小数 / at most two decimals (fen)", field="tendered"
            )
        if data.tendered < data.amount:
            raise ValidationProblem(
                f"实收 {data.tendered} 元少于收款金额 {data.amount} 元 / the {data.tendered} yuan "
                f"tendered is less than the {data.amount} yuan taken",
                field="tendered",
            )


def _by_request_key(uow: UnitOfWork, key: str) -> CounterReceipt | None:
    return uow.session.scalars(
        select(CounterReceipt).where(CounterReceipt.request_key == key)
    ).first()


def _replayed(receipt: CounterReceipt, uow: UnitOfWork) -> ReceiptOut:
    if receipt.cashier_id != uow.actor.account_id:
        raise ConflictError(
            "表单已由他人提交 / this form was submitted by someone else", field="request_key"
        )
    return ReceiptOut.model_validate(receipt)


@dataclasses.dataclass(frozen=True)
class OfflineTaking:
    """A payment the hall's local node took while cut off (OPS-6): its receipt number (the
    offline series, :data:`receipts.OFFLINE_FIRST_SERIAL` up) and time were given to the
    customer then and are kept unchanged; a bill paid meanwhile makes the money credit."""

    receipt_no: str
    taken_at: datetime


def do_record_payment(
    uow: UnitOfWork, data: PaymentIn, offline: OfflineTaking | None = None
) -> ReceiptOut:
    """收款: the cashier's signature is the receipt itself (who, when)."""
    _check_payment(data)
    actor = uow.actor
    if not actor.can(Perm.COUNTER_PAY) or actor.account_id is None:
        raise PermissionDeniedError("只有收费员可以收款 / only a cashier takes payments")
    try:
        with uow:
            earlier = _by_request_key(uow, data.request_key)
            if earlier is not None:
                return _replayed(earlier, uow)
            hall = halls.working_hall(uow, data.hall_id)
            account = uow.session.scalars(
                select(Account).where(Account.number == data.account_no.strip())
            ).first()
            if account is None:
                raise NotFoundError("户号不存在 / account not found", field="account_no")
            if data.bill_id is not None:
                _check_bill(uow, data.bill_id, account.id, paid_meanwhile_ok=offline is not None)
            if offline is None:
                taken = receipts.next_number(uow.session, hall, clock.business_day())
                recorded_at = clock.now()
            else:
                taken = receipts.offline_number(hall, offline.receipt_no)
                recorded_at = offline.taken_at
            number = str(taken)
            result = ledger.capture(
                uow,
                account_id=account.id,
                amount=data.amount,
                channel=CHANNELS[data.method],
                idempotency_key=f"counter:{data.request_key}",
                bill_id=data.bill_id,
                receipt_no=number,
                hall_id=hall.id,
                cashier=actor.username,
            )
            if result.replayed:
                # Either this form committed meanwhile (a concurrent resubmission held the
                # account lock: PostgreSQL now shows its receipt) or the key was used
                # outside the counter.
                again = _by_request_key(uow, data.request_key)
                if again is not None:
                    return _replayed(again, uow)
                raise ConflictError(
                    "表单编号已被使用 / request key already used", field="request_key"
                )
            voucher = (data.card_voucher or "").strip() or None
            if voucher is not None:
                # For a card payment the POS slip is the bank's voucher (PAY-2 trace).
                uow.session.execute(
                    update(Payment)
                    .where(Payment.id == result.payment_id)
                    .values(bank_voucher=voucher)
                )
            receipt = CounterReceipt(
                receipt_no=number,
                business_day=taken.business_day,
                serial=taken.serial,
                request_key=data.request_key,
                payment_id=result.payment_id,
                account_id=account.id,
                account_no=account.number,
                bill_id=data.bill_id,
                amount=data.amount,
                applied=result.applied,
                credited=result.credited,
                method=data.method,
                card_voucher=voucher,
                tendered=data.tendered,
                status=ReceiptStatus.RECORDED,
                cashier_id=actor.account_id,
                cashier_name=actor.username,
                recorded_at=recorded_at,
                org_unit_id=hall.id,
            )
            uow.session.add(receipt)
            uow.session.flush()
            uow.audit(
                "counter.payment_recorded",
                object_type="counter_receipt",
                object_id=receipt.id,
                org_unit_id=hall.id,
                after=receipt_snapshot(receipt),
            )
            uow.emit(
                CounterPaymentRecorded(
                    receipt_id=receipt.id,
                    receipt_no=number,
                    payment_id=result.payment_id,
                    hall_id=hall.id,
                    amount=str(data.amount),
                    cashier_id=actor.account_id,
                )
            )
            out = ReceiptOut.model_validate(receipt)
            uow.commit()
            return out
    except IntegrityError:
        # The same form submitted twice at once: the loser answers with the winner's receipt.
        with uow:
            again = _by_request_key(uow, data.request_key)
            if again is None:
                raise
            return _replayed(again, uow)


def _check_bill(
    uow: UnitOfWork, bill_id: int, account_id: int, *, paid_meanwhile_ok: bool = False
) -> None:
    bill = uow.session.get(Bill, bill_id)
    if bill is None or bill.account_id != account_id:
        raise ValidationProblem(
            "账单不属于该户号 / the bill is not this account's", field="bill_id"
        )
    # Money an offline counter already took cannot be refused: the ledger credits what the
    # bill no longer needs (the sync opens a case for it).
    if bill.kind != BillKind.NORMAL or (bill.status != BillStatus.ISSUED and not paid_meanwhile_ok):
        raise ValidationProblem("该账单不能缴费 / this bill cannot be paid", field="bill_id")


def receipt_snapshot(r: CounterReceipt) -> dict[str, object]:
    return {
        "receipt_no": r.receipt_no,
        "payment_id": r.payment_id,
        "account_no": r.account_no,
        "amount": str(r.amount),
        "method": r.method.value,
        "status": r.status.value,
        "cashier": r.cashier_name,
        "checker": r.checker_name,
    }


def locked_receipt(uow: UnitOfWork, receipt_id: int) -> CounterReceipt:
    receipt = uow.session.scalars(
        select(CounterReceipt)
        .where(CounterReceipt.id == receipt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if receipt is None:
        raise NotFoundError(RECEIPT_NOT_FOUND)
    return receipt


def is_hall_checker(uow: UnitOfWork, receipt: CounterReceipt) -> bool:
    actor = uow.actor
    return actor.can(Perm.COUNTER_CHECK) and halls.works_at(
        actor.org_unit_id, halls.hall(uow, receipt.org_unit_id)
    )


def do_confirm(uow: UnitOfWork, receipt_id: int, data: ConfirmIn) -> ReceiptOut:
    """复核: the checker counts the money of one receipt and signs it."""
    actor = uow.actor
    check_counter_amount(data.counted, "counted")
    with uow:
        receipt = locked_receipt(uow, receipt_id)
        if actor.account_id is None or actor.account_id == receipt.cashier_id:
            raise PermissionDeniedError(CHECKER_IS_CASHIER)
        if not actor.can(Perm.COUNTER_CHECK):
            raise PermissionDeniedError("只有复核员可以复核 / only a checker confirms receipts")
        halls.require_works_at(actor, halls.hall(uow, receipt.org_unit_id))
        if receipt.status != ReceiptStatus.RECORDED:
            raise ConflictError(
                f"收据状态为 {receipt.status.value}，不能复核 / a {receipt.status.value} "
                "receipt cannot be confirmed",
                field="status",
            )
        if data.counted != receipt.amount and not data.record_difference:
            raise ValidationProblem(
                f"清点金额 {data.counted} 与收据金额 {receipt.amount} 不符：请复点，或记为长短款 "
                f"/ the counted amount {data.counted} differs from the receipt's "
                f"{receipt.amount}: count again, or record the difference",
                field="counted",
            )
        if data.counted != receipt.amount:
            shortages.record(uow, receipt, data.counted)
        before = receipt_snapshot(receipt)
        receipt.status = ReceiptStatus.CONFIRMED
        receipt.checker_id = actor.account_id
        receipt.checker_name = actor.username
        receipt.confirmed_at = clock.now()
        uow.audit(
            "counter.receipt_confirmed",
            object_type="counter_receipt",
            object_id=receipt.id,
            org_unit_id=receipt.org_unit_id,
            before=before,
            after=receipt_snapshot(receipt),
        )
        uow.emit(CounterReceiptConfirmed(receipt.id, receipt.receipt_no, actor.account_id))
        out = ReceiptOut.model_validate(receipt)
        uow.commit()
        return out
