"""The counter (PAY-1): a cashier takes a payment and signs its receipt, a checker of the
same hall counts the money and signs too, and a void needs both of them.

Every step is one unit of work with its audit entry and event. A payment, its receipt
number (:mod:`safegrid.payments.receipts`) and its write-off (the ledger) commit together:
a failure anywhere rolls all three back and the number is issued again to the next payment.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.customers.models import Account
from safegrid.payments import counter_halls as halls
from safegrid.payments import ledger, receipts
from safegrid.payments.counter_events import (
    CounterPaymentRecorded,
    CounterReceiptConfirmed,
    CounterReceiptVoided,
    CounterVoidRequested,
)
from safegrid.payments.counter_models import CounterMethod, CounterReceipt, ReceiptStatus
from safegrid.payments.counter_schemas import ConfirmIn, PaymentIn, ReceiptOut, VoidRequestIn
from safegrid.payments.counter_settings import get_counter_settings
from safegrid.payments.models import Payment, PaymentChannel
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
NEEDS_OTHER = (
    "作废须由收费员与复核员两人签字，第二个签字须由另一人完成 / a void needs the cashier and "
    "a checker: the second signature must come from the other person"
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


def do_record_payment(uow: UnitOfWork, data: PaymentIn) -> ReceiptOut:
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
                _check_bill(uow, data.bill_id, account.id)
            number = str(receipts.next_number(uow.session, hall, clock.business_day()))
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
            if result.replayed:  # the key was used outside the counter
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
                business_day=clock.business_day(),
                serial=receipts.parse(number).serial,
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
                status=ReceiptStatus.RECORDED,
                cashier_id=actor.account_id,
                cashier_name=actor.username,
                recorded_at=clock.now(),
                org_unit_id=hall.id,
            )
            uow.session.add(receipt)
            uow.session.flush()
            uow.audit(
                "counter.payment_recorded",
                object_type="counter_receipt",
                object_id=receipt.id,
                org_unit_id=hall.id,
                after=_snapshot(receipt),
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


def _check_bill(uow: UnitOfWork, bill_id: int, account_id: int) -> None:
    bill = uow.session.get(Bill, bill_id)
    if bill is None or bill.account_id != account_id:
        raise ValidationProblem(
            "账单不属于该户号 / the bill is not this account's", field="bill_id"
        )
    if bill.kind != BillKind.NORMAL or bill.status != BillStatus.ISSUED:
        raise ValidationProblem("该账单不能缴费 / this bill cannot be paid", field="bill_id")


def _snapshot(r: CounterReceipt) -> dict[str, object]:
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


def _locked(uow: UnitOfWork, receipt_id: int) -> CounterReceipt:
    receipt = uow.session.scalars(
        select(CounterReceipt)
        .where(CounterReceipt.id == receipt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if receipt is None:
        raise NotFoundError(RECEIPT_NOT_FOUND)
    return receipt


def _is_hall_checker(uow: UnitOfWork, receipt: CounterReceipt) -> bool:
    actor = uow.actor
    return actor.can(Perm.COUNTER_CHECK) and halls.works_at(
        actor.org_unit_id, halls.hall(uow, receipt.org_unit_id)
    )


def do_confirm(uow: UnitOfWork, receipt_id: int, data: ConfirmIn) -> ReceiptOut:
    """复核: the checker counts the money of one receipt and signs it."""
    actor = uow.actor
    check_counter_amount(data.counted, "counted")
    with uow:
        receipt = _locked(uow, receipt_id)
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
        if data.counted != receipt.amount:
            raise ValidationProblem(
                f"清点金额 {data.counted} 与收据金额 {receipt.amount} 不符 / the counted "
                f"amount {data.counted} differs from the receipt's {receipt.amount}",
                field="counted",
            )
        before = _snapshot(receipt)
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
            after=_snapshot(receipt),
        )
        uow.emit(CounterReceiptConfirmed(receipt.id, receipt.receipt_no, actor.account_id))
        out = ReceiptOut.model_validate(receipt)
        uow.commit()
        return out


def do_request_void(uow: UnitOfWork, receipt_id: int, data: VoidRequestIn) -> ReceiptOut:
    """First signature of a void: the receipt's cashier or a checker of its hall."""
    actor = uow.actor
    reason = data.reason.strip()
    if len(reason) < 2:
        raise ValidationProblem("须填写作废原因 / give the reason for the void", field="reason")
    with uow:
        receipt = _locked(uow, receipt_id)
        is_cashier = actor.account_id == receipt.cashier_id and actor.can(Perm.COUNTER_PAY)
        if not is_cashier and not (
            actor.account_id != receipt.cashier_id and _is_hall_checker(uow, receipt)
        ):
            raise PermissionDeniedError(
                "只有本笔收费员或本厅复核员可以申请作废 / only the receipt's cashier or a "
                "checker of its hall may ask for a void"
            )
        if receipt.status not in (ReceiptStatus.RECORDED, ReceiptStatus.CONFIRMED):
            raise ConflictError(
                f"收据状态为 {receipt.status.value}，不能作废 / a {receipt.status.value} "
                "receipt cannot be voided",
                field="status",
            )
        if receipt.settlement_id is not None:
            raise ConflictError(
                "已日结的收据不能作废 / the receipt's drawer is already settled", field="status"
            )
        before = _snapshot(receipt)
        receipt.status = ReceiptStatus.VOID_REQUESTED
        receipt.void_reason = reason
        receipt.void_requested_by_id = actor.account_id
        receipt.void_requested_by = actor.username
        receipt.void_requested_at = clock.now()
        uow.audit(
            "counter.void_requested",
            object_type="counter_receipt",
            object_id=receipt.id,
            org_unit_id=receipt.org_unit_id,
            before=before,
            after={**_snapshot(receipt), "reason": reason},
        )
        uow.emit(CounterVoidRequested(receipt.id, receipt.receipt_no, actor.username))
        out = ReceiptOut.model_validate(receipt)
        uow.commit()
        return out


def do_cosign_void(uow: UnitOfWork, receipt_id: int) -> ReceiptOut:
    """Second signature of a void, by the other of the pair; the ledger undoes the payment."""
    actor = uow.actor
    with uow:
        receipt = _locked(uow, receipt_id)
        if receipt.status != ReceiptStatus.VOID_REQUESTED:
            raise ConflictError(
                "须先由一人申请作废 / a void must first be asked for by one of the two",
                field="status",
            )
        requester_was_cashier = receipt.void_requested_by_id == receipt.cashier_id
        if actor.account_id is None or actor.account_id == receipt.void_requested_by_id:
            raise PermissionDeniedError(NEEDS_OTHER)
        if requester_was_cashier:
            allowed = actor.account_id != receipt.cashier_id and _is_hall_checker(uow, receipt)
        else:
            allowed = actor.account_id == receipt.cashier_id and actor.can(Perm.COUNTER_PAY)
        if not allowed:
            raise PermissionDeniedError(NEEDS_OTHER)
        ledger.void(
            uow,
            receipt.payment_id,
            reason=receipt.void_reason or "counter void",
            reference=f"receipt:{receipt.id}",
        )
        before = _snapshot(receipt)
        receipt.status = ReceiptStatus.VOIDED
        receipt.void_cosigned_by_id = actor.account_id
        receipt.void_cosigned_by = actor.username
        receipt.voided_at = clock.now()
        uow.audit(
            "counter.receipt_voided",
            object_type="counter_receipt",
            object_id=receipt.id,
            org_unit_id=receipt.org_unit_id,
            before=before,
            after={
                **_snapshot(receipt),
                "requested_by": receipt.void_requested_by,
                "cosigned_by": actor.username,
            },
        )
        uow.emit(
            CounterReceiptVoided(
                receipt.id,
                receipt.receipt_no,
                receipt.payment_id,
                receipt.void_requested_by or "",
                actor.username,
            )
        )
        out = ReceiptOut.model_validate(receipt)
        uow.commit()
        return out
