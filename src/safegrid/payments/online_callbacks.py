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
so the callback batcher (:mod:`safegrid.payments.callback_batch`, ADR 0010) can apply many
callbacks in one transaction; :func:`do_handle_callback` is one callback, one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.customers.models import Account
from safegrid.payments import ledger
from safegrid.payments.channels import TRADE_SUCCESS as SUCCESS_STATUS
from safegrid.payments.channels import CallbackRejected, PaymentChannelAdapter, VerifiedCallback
from safegrid.payments.ledger import CaptureResult
from safegrid.payments.ledger_batch import CaptureItem
from safegrid.payments.models import PaymentChannel
from safegrid.payments.online_events import OnlineCallbackRejected, OnlineOrderPaid
from safegrid.payments.online_models import OrderStatus, PaymentOrder
from safegrid.payments.risk.engine import note_paid
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

ACK = "success"
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
        execution_options=unscoped("a callback names its order, in any unit"),
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
        execution_options=unscoped("locking the paid account, in any unit"),
    ).first()
    order = uow.session.scalars(
        select(PaymentOrder)
        .where(PaymentOrder.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True),
        execution_options=unscoped("locking the paid order, in any unit"),
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


def finish_paid(
    uow: UnitOfWork, order: PaymentOrder, cb: VerifiedCallback, result: CaptureResult
) -> str:
    """After the capture: the order is paid, the risk engine hears of it, audited."""
    now = clock.now()
    order.status = OrderStatus.PAID
    order.trade_no = cb.trade_no
    order.payment_id = result.payment_id
    order.paid_at = now
    note_paid(uow, order.account_id, order.amount, now, result.payment_id)
    uow.audit(
        "payment.online_paid",
        object_type="payment_order",
        object_id=order.order_no,
        org_unit_id=order.org_unit_id,
        after={
            "trade_no": cb.trade_no,
            "amount": str(order.amount),
            "payment_id": result.payment_id,
        },
    )
    uow.emit(
        OnlineOrderPaid(
            order.order_no, cb.trade_no, result.payment_id, order.account_id, order.amount
        )
    )
    return ACK


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
