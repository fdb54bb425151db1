"""Channel callbacks (PAY-6, PAY-7): is a verified callback payable, and the refusals.

Order of checks: signature (the channel's adapter), then the order it names, then the
amount against the order. Any failure is a clear 4xx, recorded in the audit chain (a
tampered amount also alerts the unit's managers, once per order), and credits nothing.

:func:`verdict` is the one rule — payable, a repeat of the trade that paid the order, or
the refusal — used by the inbox's door (on its unlocked read) and by the applier (on the
locked order); :func:`prepare_verified` applies it under the locks and records a refusal.
The payment itself is captured only by the applier, set-based
(:mod:`safegrid.payments.online.callbacks.batch`), with idempotency key
``online:<trade_no>``: a repeat answers ``success`` again and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Literal, Protocol

from sqlalchemy import select

from safegrid.alerts.raise_alert import raise_alert
from safegrid.customers.models import Account
from safegrid.payments.ledger.batch import CaptureItem
from safegrid.payments.online.channels import (
    ACK,
    TRADE_SUCCESS,
    CallbackRejected,
    VerifiedCallback,
)
from safegrid.payments.online.events import OnlineCallbackRejected
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.online.registry import entry
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

PAY: Final = "pay"
REPEAT: Final = "repeat"
Verdict = Literal["pay", "repeat"] | CallbackRejected


class OrderFacts(Protocol):
    """What the rule reads of an order (the ORM row, or the door's plain row)."""

    @property
    def order_no(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def status(self) -> OrderStatus: ...
    @property
    def trade_no(self) -> str | None: ...


def verdict(order: OrderFacts | None, cb: VerifiedCallback, channel: str) -> Verdict:
    """Whether the callback pays ``order``: ``"pay"``; ``"repeat"`` of the trade that
    paid it; else the refusal (not recorded: the caller records it)."""
    if order is None or order.channel != channel:
        return CallbackRejected(
            404, "unknown_order", "订单不存在 / unknown order", field="merchant_order_no"
        )
    if order.status == OrderStatus.PAID and order.trade_no == cb.trade_no:
        return REPEAT  # already captured once: nothing changes
    if cb.trade_status != TRADE_SUCCESS:
        return CallbackRejected(
            422, "not_paid", "交易未成功 / trade is not successful", field="trade_status"
        )
    if cb.amount != order.amount:
        return CallbackRejected(
            422,
            "amount_mismatch",
            f"回调金额 {cb.amount} 与订单金额 {order.amount} 不符 / the callback amount "
            "differs from the order",
            field="amount",
        )
    if order.status in (OrderStatus.PAID, OrderStatus.REJECTED):
        # Another trade for a paid order, or a payment of an order we never sent to the
        # channel: money we cannot match automatically — refused and left to finance.
        return CallbackRejected(
            409,
            "order_closed",
            f"订单状态为 {order.status} / order is {order.status}",
            field="merchant_order_no",
        )
    # created, or expired while the customer was paying: the money is real, take it.
    return PAY


def record_refusal(uow: UnitOfWork, rejected: CallbackRejected) -> None:
    """A callback refused before it named a known order (signature, format): recorded in
    a transaction of its own, then the caller raises it."""
    with uow:
        _refuse(uow, rejected, order_no=rejected.order_no)
        uow.commit()


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


def prepare_verified(uow: UnitOfWork, channel: str, cb: VerifiedCallback) -> PaymentOrder | str:
    """Inside the caller's transaction: ``ACK`` for a repeat, else the order (locked, with
    its account) to capture; a refusal is recorded and raised (the caller commits it)."""
    found = uow.session.scalars(
        select(PaymentOrder).where(PaymentOrder.order_no == cb.order_no),
        execution_options=unscoped("a callback names its order, in any unit"),
    ).first()
    if found is None or found.channel != channel:
        unknown = verdict(None, cb, channel)
        assert isinstance(unknown, CallbackRejected)
        raise _refuse(uow, unknown, order_no=cb.order_no)
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


def _check(uow: UnitOfWork, order: PaymentOrder, cb: VerifiedCallback) -> bool:
    """True for a repeat of the callback that paid the order, False for a payable one;
    raises the recorded refusal."""
    found = verdict(order, cb, order.channel)
    if found == PAY:
        return False
    if found == REPEAT:
        return True
    assert isinstance(found, CallbackRejected)
    if found.reason == "amount_mismatch":
        _flag_tampered(uow, order, cb)
    raise _refuse(uow, found, order_no=order.order_no, org_unit_id=order.org_unit_id)


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
        channel=entry(channel).ledger_channel,
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
