"""Refunds with approval (issue #5 item 5, PAY-5).

A cashier, hall agent or finance asks for a refund of (part of) a payment; finance or a
department head who is not the requester approves it, which executes it through the ledger
in the same transaction (reference ``request-<id>``, so a double click is a replay), or
rejects it.

The risk engine sees every request before anything is executed: a refund right after a
payment (or any rule whose action is ``review``/``freeze``) holds the request, opens a risk
case and suspends the account's online functions (the engine does both). A held request
can be approved only once its case has been lifted (or, without a case, once the
suspension has ended). The held request is committed all the same: the engine's decision
and case must outlive the refusal.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import func, select

from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.events import RefundDecided, RefundRequested
from safegrid.payments.ledger.models import Payment, PaymentStatus, RefundRequest, RefundStatus
from safegrid.payments.risk import engine as risk
from safegrid.payments.risk.models import CaseStatus, RiskCase
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

REQUEST_NOT_FOUND = "退款申请不存在 / refund request not found"
HELD_ACTIONS = ("review", "freeze")


@dataclasses.dataclass(frozen=True)
class RefundAsk:
    payment_id: int
    amount: Decimal
    reason: str


def _reason(text: str, field: str) -> str:
    text = text.strip()
    if not text or len(text) > 200:
        raise ValidationProblem(
            "须填写 1–200 字的说明 / give a reason (1–200 characters)", field=field
        )
    return text


def _open_amount(uow: UnitOfWork, payment_id: int) -> Decimal:
    pending = uow.session.scalar(
        select(func.sum(func.round(RefundRequest.amount * 100))).where(
            RefundRequest.payment_id == payment_id,
            RefundRequest.status.in_([RefundStatus.PENDING, RefundStatus.HELD]),
        ),
        execution_options=unscoped("refunds pending on a payment, in any unit"),
    )
    return Decimal(int(pending or 0)).scaleb(-2)


def request_refund(uow: UnitOfWork, ask: RefundAsk) -> RefundRequest:
    ledger.check_amount(ask.amount)
    reason = _reason(ask.reason, "reason")
    if uow.actor.account_id is None:
        raise PermissionDeniedError("退款须由员工申请 / a staff member must ask for a refund")
    payment = uow.session.scalars(
        select(Payment).where(Payment.id == ask.payment_id).with_for_update()
    ).first()
    if payment is None:
        raise NotFoundError(ledger.PAYMENT_NOT_FOUND, field="payment_id")
    if payment.status != PaymentStatus.CAPTURED:
        raise ConflictError("该缴费不能退款 / this payment cannot be refunded", field="payment_id")
    left = payment.amount - payment.refunded - _open_amount(uow, payment.id)
    if ask.amount > left:
        raise ValidationProblem(
            f"可退金额仅剩 {left} 元 / only {left} yuan is left to refund", field="amount"
        )
    now = clock.now()
    row = RefundRequest(
        payment_id=payment.id,
        account_id=payment.account_id,
        amount=ask.amount,
        reason=reason,
        status=RefundStatus.PENDING,
        requested_at=now,
        requested_by_id=uow.actor.account_id,
        requested_by=uow.actor.username,
        org_unit_id=payment.org_unit_id,
    )
    # Before anything is executed the risk engine decides (and records why).
    decision = risk.evaluate(
        uow,
        risk.RiskRequest(
            kind="refund",
            account_id=payment.account_id,
            amount=ask.amount,
            device_id=None,
            ip=uow.actor.ip,
            at=now,
        ),
    )
    row.risk_decision_id, row.risk_action = decision.id, decision.action
    row.risk_case_id = decision.case_id
    if decision.action in HELD_ACTIONS:
        row.status = RefundStatus.HELD
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        "refund.request",
        object_type="refund_request",
        object_id=row.id,
        org_unit_id=row.org_unit_id,
        after={
            "payment_id": payment.id,
            "amount": str(ask.amount),
            "reason": reason,
            "status": row.status.value,
            "risk_action": decision.action,
            "risk_rules": [f.rule_id for f in decision.fired],
        },
    )
    uow.emit(
        RefundRequested(row.id, payment.id, str(ask.amount), row.status.value, row.org_unit_id)
    )
    return row


def do_request_refund(uow: UnitOfWork, ask: RefundAsk) -> RefundRequest:
    with uow:
        row = request_refund(uow, ask)
        uow.commit()
        return row


def _load(uow: UnitOfWork, request_id: int) -> RefundRequest:
    row = uow.session.scalars(
        select(RefundRequest).where(RefundRequest.id == request_id).with_for_update()
    ).first()
    if row is None:
        raise NotFoundError(REQUEST_NOT_FOUND)
    return row


def _still_held(uow: UnitOfWork, row: RefundRequest) -> str | None:
    """Why a held request may not be approved yet, or None."""
    if row.risk_case_id is not None:
        status = uow.session.scalar(
            select(RiskCase.status).where(RiskCase.id == row.risk_case_id),
            execution_options=unscoped("the risk case holding a refund, any unit"),
        )
        if status != CaseStatus.LIFTED:
            return "风控工单尚未解除 / the risk case has not been lifted"
        return None
    if risk.suspended_until(uow, row.account_id) is not None:
        return "账户线上功能暂停中 / the account's online functions are suspended"
    return None


def decide_refund(uow: UnitOfWork, request_id: int, *, approve: bool, note: str) -> RefundRequest:
    note = _reason(note, "note") if not approve or note.strip() else note.strip()
    row = _load(uow, request_id)
    if uow.actor.account_id is None:
        raise PermissionDeniedError("须由员工本人审批 / a staff member must decide")
    if row.requested_by_id == uow.actor.account_id:
        raise PermissionDeniedError(
            "不能审批本人提交的退款申请 / you cannot approve your own refund request"
        )
    if row.status not in (RefundStatus.PENDING, RefundStatus.HELD):
        raise ConflictError("该申请已处理 / this request has already been decided", field="status")
    if approve and row.status == RefundStatus.HELD:
        why = _still_held(uow, row)
        if why is not None:
            raise ConflictError(why, field="status")
    before = row.status.value
    row.decided_at, row.decision_note = clock.now(), note or None
    row.decided_by_id, row.decided_by = uow.actor.account_id, uow.actor.username
    if approve:
        done = ledger.refund(uow, row.payment_id, row.amount, reference=f"request-{row.id}")
        row.event_id, row.status = done.event_id, RefundStatus.EXECUTED
    else:
        row.status = RefundStatus.REJECTED
    uow.audit(
        "refund.approve" if approve else "refund.reject",
        object_type="refund_request",
        object_id=row.id,
        org_unit_id=row.org_unit_id,
        before={"status": before},
        after={"status": row.status.value, "note": row.decision_note},
    )
    uow.emit(RefundDecided(row.id, row.payment_id, approve, row.status.value, row.org_unit_id))
    return row


def do_decide_refund(
    uow: UnitOfWork, request_id: int, *, approve: bool, note: str = ""
) -> RefundRequest:
    with uow:
        row = decide_refund(uow, request_id, approve=approve, note=note)
        uow.commit()
        return row


def list_requests(
    uow: UnitOfWork, status: RefundStatus | None = None, limit: int = 100
) -> list[RefundRequest]:
    with uow:
        stmt = select(RefundRequest).order_by(RefundRequest.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(RefundRequest.status == status)
        return list(uow.session.scalars(stmt).all())


def get_request(uow: UnitOfWork, request_id: int) -> RefundRequest:
    with uow:
        row = uow.session.scalars(
            select(RefundRequest).where(RefundRequest.id == request_id)
        ).first()
        if row is None:
            raise NotFoundError(REQUEST_NOT_FOUND)
        return row
