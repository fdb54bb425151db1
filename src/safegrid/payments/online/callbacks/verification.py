"""Channel callbacks (PAY-6, PAY-7): verify, compare, capture exactly once.

Order of checks: signature (the adapter), then the order it names, then the amount
against the order. Any failure is a clear 4xx, recorded in the audit chain (a tampered
amount also alerts the unit's managers, once per order), and credits nothing.

A verified callback marks the order paid, captures the payment in the ledger
(idempotency key ``online:<trade_no>``) and tells the risk engine — all in ONE
transaction. A repeat of a processed callback answers ``success`` again and changes
nothing; the channel keeps retrying until it gets that answer, so a crash anywhere before
the commit loses nothing (PAY-7).

:func:`apply_verified` is that work inside the caller's transaction without committing,
so the callback batcher (:mod:`safegrid.payments.online.callbacks.batch`, ADR 0010) can apply many
callbacks in one transaction; :func:`do_handle_callback` is one callback, one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.customers.models import Account
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.batch import CaptureItem
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.payments.online.callbacks.finish import finish_paid
from safegrid.payments.online.channels import (
    ACK,
    CallbackRejected,
    PaymentChannelAdapter,
    VerifiedCallback,
)
from safegrid.payments.online.channels import TRADE_SUCCESS as SUCCESS_STATUS
from safegrid.payments.online.events import OnlineCallbackRejected
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import SKIP_SCOPE

_ALL = {SKIP_SCOPE: True}
LEDGER_CHANNEL = {"sandbox": PaymentChannel.ONLINE_SANDBOX}


def _refuse(
    uow: UnitOfWork,
    rejected: CallbackRejected,
    *,
    order_no: str | None,
    org_unit_id: int | None = None,
) -> CallbackRejected:
    """Record the refusal (audit chain) and return the error to raise after the caller's
    commit: a refusal is kept, like a payment."""
    uow.audit(
        "payment.callback_rejected",
        object_type="payment_order",
        object_id=(order_no or "?")[:64],
        org_unit_id=org_unit_id,
        note=f"{rejected.reason}: {rejected.message}"[:500],
    )
    uow.emit(OnlineCallbackRejected((order_no or "?")[:64], rejected.reason))
    return rejected


def do_handle_callback(
    uow: UnitOfWork, channel: PaymentChannelAdapter, params: Mapping[str, str]
) -> str:
    """Process one callback; returns ``success`` or raises :class:`CallbackRejected`."""
    with uow:
        try:
            cb = channel.verify_callback(params)
        except CallbackRejected as exc:
            rejected = _refuse(uow, exc, order_no=params.get("merchant_order_no"))
            uow.commit()
            raise rejected from None
        try:
            answer = apply_verified(uow, channel.name, cb)
        except CallbackRejected:
            uow.commit()  # keep the refusal's audit entry (and the tamper alert)
            raise
        uow.commit()
        return answer


def apply_verified(uow: UnitOfWork, channel: str, cb: VerifiedCallback) -> str:
    """A callback whose signature checked out, inside the caller's open transaction (no
    commit): compare it with the order and capture it, or record the refusal and raise
    :class:`CallbackRejected` (the caller commits either way: a refusal is kept)."""
    order = prepare_verified(uow, channel, cb)
    if isinstance(order, str):
        return order
    item = capture_item(order, cb, channel)
    result = ledger.capture(
        uow,
        account_id=item.account_id,
        amount=item.amount,
        channel=item.channel,
        idempotency_key=item.idempotency_key,
        bill_id=item.bill_id,
        order_id=item.order_id,
    )
    return finish_paid(uow, order, cb, result)


def prepare_verified(uow: UnitOfWork, channel: str, cb: VerifiedCallback) -> PaymentOrder | str:
    """:func:`apply_verified` up to the capture: ``ACK`` for a repeat, else the order
    (locked, with its account) to capture; a refusal is recorded and raised."""
    found = uow.session.scalars(
        select(PaymentOrder).where(PaymentOrder.order_no == cb.order_no),
        execution_options=_ALL,
    ).first()
    if found is None or found.channel != channel:
        raise _refuse(
            uow,
            CallbackRejected(
                404, "unknown_order", "订单不存在 / unknown order", field="merchant_order_no"
            ),
            order_no=cb.order_no,
        )
    # Lock order: the account first (as the ledger does), then the order, re-read.
    uow.session.scalars(
        select(Account.id).where(Account.id == found.account_id).with_for_update(),
        execution_options=_ALL,
    ).first()
    order = uow.session.scalars(
        select(PaymentOrder)
        .where(PaymentOrder.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True),
        execution_options=_ALL,
    ).one()
    return ACK if _check(uow, order, cb) else order


def is_payable(order: PaymentOrder, cb: VerifiedCallback, channel: str) -> bool:
    """What :func:`_check` lets through to the capture, without recording anything: the
    batch takes these set-based and leaves repeats and refusals to the one-by-one path."""
    return (
        order.channel == channel
        and cb.trade_status == SUCCESS_STATUS
        and cb.amount == order.amount
        and order.status not in (OrderStatus.PAID, OrderStatus.REJECTED)
    )


def _check(uow: UnitOfWork, order: PaymentOrder, cb: VerifiedCallback) -> bool:
    """True for a repeat of the callback that paid the order; raises a recorded refusal."""
    if order.status == OrderStatus.PAID and order.trade_no == cb.trade_no:
        return True  # a repeat: already captured once, nothing changes
    if cb.trade_status != SUCCESS_STATUS:
        raise _refuse(
            uow,
            CallbackRejected(
                422, "not_paid", "交易未成功 / trade is not successful", field="trade_status"
            ),
            order_no=order.order_no,
            org_unit_id=order.org_unit_id,
        )
    if cb.amount != order.amount:
        _flag_tampered(uow, order, cb)
        raise _refuse(
            uow,
            CallbackRejected(
                422,
                "amount_mismatch",
                f"回调金额 {cb.amount} 与订单金额 {order.amount} 不符 / the callback amount "
                "differs from the order",
                field="amount",
            ),
            order_no=order.order_no,
            org_unit_id=order.org_unit_id,
        )
    if order.status == OrderStatus.PAID or order.status == OrderStatus.REJECTED:
        # Another trade for a paid order, or a payment of an order we never sent to the
        # channel: money we cannot match automatically — refused and left to finance.
        raise _refuse(
            uow,
            CallbackRejected(
                409,
                "order_closed",
                f"订单状态为 {order.status} / order is {order.status}",
                field="merchant_order_no",
            ),
            order_no=order.order_no,
            org_unit_id=order.org_unit_id,
        )
    # created, or expired while the customer was paying: the money is real, take it.
    return False


def refuse_order_taken(uow: UnitOfWork, order_no: str, org_unit_id: int) -> CallbackRejected:
    """Another trade for an order whose payment the callback inbox already holds (not yet
    applied): refused and recorded like a second trade for a paid order."""
    return _refuse(
        uow,
        CallbackRejected(
            409,
            "order_closed",
            "订单已由另一笔交易支付 / the order is already paid by another trade",
            field="merchant_order_no",
        ),
        order_no=order_no,
        org_unit_id=org_unit_id,
    )


def capture_item(order: PaymentOrder, cb: VerifiedCallback, channel: str) -> CaptureItem:
    """The ledger capture a verified callback of ``order`` asks for."""
    return CaptureItem(
        account_id=order.account_id,
        amount=order.amount,
        channel=LEDGER_CHANNEL[channel],
        idempotency_key=f"online:{cb.trade_no}",
        bill_id=order.bill_id,
        order_id=order.id,
    )


def _flag_tampered(uow: UnitOfWork, order: PaymentOrder, cb: VerifiedCallback) -> None:
    """PAY-6: the first tampered callback of an order alerts the unit's managers; the
    channel's retries of the same callback are logged but do not alert again."""
    if order.tampered_at is not None:
        return
    order.tampered_at = clock.now()
    raise_alert(
        uow.session,
        kind="callback_tampered",
        object_type="payment_order",
        object_id=order.order_no,
        label="amount",
        before=str(order.amount),
        after=str(cb.amount),
        unit_id=order.org_unit_id,
        actor=uow.actor,
        text=(
            f"支付回调金额被篡改：订单 {order.order_no} 金额 {order.amount} 元，回调报 {cb.amount} 元，"
            "已拒绝入账"
        ),
    )
