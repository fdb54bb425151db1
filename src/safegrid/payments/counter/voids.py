"""Voiding a counter receipt (PAY-1): one of the receipt's pair — its cashier, or a checker
of its hall — asks, the other co-signs, and only then does the ledger take the payment
back. Until it is co-signed, the one who asked may withdraw the request and the other may
decline it: the receipt returns to where it was (a receipt with a void pending cannot be
settled, so a void neither wanted must not be left hanging)."""

from __future__ import annotations

from safegrid.payments.counter.events import (
    CounterReceiptVoided,
    CounterVoidCancelled,
    CounterVoidRequested,
)
from safegrid.payments.counter.models import CounterReceipt, ReceiptStatus
from safegrid.payments.counter.schemas import ReceiptOut, VoidCancelIn, VoidRequestIn
from safegrid.payments.counter.services import is_hall_checker, locked_receipt, receipt_snapshot
from safegrid.payments.ledger import services as ledger
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm

NEEDS_OTHER = (
    "作废须由收费员与复核员两人签字，第二个签字须由另一人完成 / a void needs the cashier and "
    "a checker: the second signature must come from the other person"
)


def do_request_void(uow: UnitOfWork, receipt_id: int, data: VoidRequestIn) -> ReceiptOut:
    """First signature of a void: the receipt's cashier or a checker of its hall."""
    actor = uow.actor
    reason = data.reason.strip()
    if len(reason) < 2:
        raise ValidationProblem("须填写作废原因 / give the reason for the void", field="reason")
    with uow:
        receipt = locked_receipt(uow, receipt_id)
        is_cashier = actor.account_id == receipt.cashier_id and actor.can(Perm.COUNTER_PAY)
        if not is_cashier and not (
            actor.account_id != receipt.cashier_id and is_hall_checker(uow, receipt)
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
        before = receipt_snapshot(receipt)
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
            after={**receipt_snapshot(receipt), "reason": reason},
        )
        uow.emit(CounterVoidRequested(receipt.id, receipt.receipt_no, actor.username))
        out = ReceiptOut.model_validate(receipt)
        uow.commit()
        return out


def do_cosign_void(uow: UnitOfWork, receipt_id: int) -> ReceiptOut:
    """Second signature of a void, by the other of the pair; the ledger undoes the payment."""
    actor = uow.actor
    with uow:
        receipt = locked_receipt(uow, receipt_id)
        if receipt.status != ReceiptStatus.VOID_REQUESTED:
            raise ConflictError(
                "须先由一人申请作废 / a void must first be asked for by one of the two",
                field="status",
            )
        requester_was_cashier = receipt.void_requested_by_id == receipt.cashier_id
        if actor.account_id is None or actor.account_id == receipt.void_requested_by_id:
            raise PermissionDeniedError(NEEDS_OTHER)
        if requester_was_cashier:
            allowed = actor.account_id != receipt.cashier_id and is_hall_checker(uow, receipt)
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
        before = receipt_snapshot(receipt)
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
                **receipt_snapshot(receipt),
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


def _is_the_other(uow: UnitOfWork, receipt: CounterReceipt) -> bool:
    """Whether the actor is the other of the pair than the one who asked for the void."""
    actor = uow.actor
    if actor.account_id is None or actor.account_id == receipt.void_requested_by_id:
        return False
    if receipt.void_requested_by_id == receipt.cashier_id:
        return actor.account_id != receipt.cashier_id and is_hall_checker(uow, receipt)
    return actor.account_id == receipt.cashier_id and actor.can(Perm.COUNTER_PAY)


def do_cancel_void(uow: UnitOfWork, receipt_id: int, data: VoidCancelIn) -> ReceiptOut:
    """The void request withdrawn by the one who asked, or declined by the other of the
    pair: the receipt is recorded or confirmed again, as before the request."""
    actor = uow.actor
    with uow:
        receipt = locked_receipt(uow, receipt_id)
        if receipt.status != ReceiptStatus.VOID_REQUESTED:
            raise ConflictError(
                "没有待签的作废申请 / there is no void request waiting", field="status"
            )
        if actor.account_id is not None and actor.account_id == receipt.void_requested_by_id:
            outcome = "withdrawn"
        elif _is_the_other(uow, receipt):
            outcome = "declined"
        else:
            raise PermissionDeniedError(
                "只有申请人或应会签的另一人可以撤回或拒绝作废 / only the one who asked, or the "
                "other of cashier and checker, may withdraw or decline the void"
            )
        before = {**receipt_snapshot(receipt), "void_reason": receipt.void_reason}
        asked_by = receipt.void_requested_by or ""
        receipt.status = (
            ReceiptStatus.CONFIRMED if receipt.confirmed_at is not None else ReceiptStatus.RECORDED
        )
        receipt.void_reason = None
        receipt.void_requested_by_id = None
        receipt.void_requested_by = None
        receipt.void_requested_at = None
        uow.audit(
            f"counter.void_{outcome}",
            object_type="counter_receipt",
            object_id=receipt.id,
            org_unit_id=receipt.org_unit_id,
            before=before,
            after={**receipt_snapshot(receipt), "asked_by": asked_by},
            note=data.note.strip() or None,
        )
        uow.emit(CounterVoidCancelled(receipt.id, receipt.receipt_no, outcome, actor.username))
        out = ReceiptOut.model_validate(receipt)
        uow.commit()
        return out
