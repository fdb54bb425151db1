"""Captured callbacks' orders marked paid (PAY-7; ADR 0010): for each ``(order, callback,
capture)`` in turn the order is paid, the risk engine told, an audit entry and an event
written — with one UPDATE for all the orders (by primary key, executemany) and the risk
engine told in one go (:func:`safegrid.payments.risk.paid_batch.note_paid_many`).
:func:`finish_paid` is :func:`finish_paid_many` of one.

One clock reading for the batch: the orders of a batch are paid at the same instant, as
their ledger rows are (``capture_many``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from safegrid.payments.ledger.batch import CaptureResult
from safegrid.payments.online.channels import ACK, VerifiedCallback
from safegrid.payments.online.events import OnlineOrderPaid
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.risk.paid_batch import PaidNote, note_paid_many
from safegrid.platform import clock
from safegrid.platform.events import Event
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

_ORDERS: Final[Table] = PaymentOrder.__table__  # type: ignore[assignment]
_MARK_PAID: Final = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("b_id"))
    .values(
        status=OrderStatus.PAID,
        trade_no=bindparam("b_trade_no"),
        payment_id=bindparam("b_payment_id"),
        paid_at=bindparam("b_paid_at"),
    )
)
Done = tuple[PaymentOrder, VerifiedCallback, CaptureResult]


def finish_paid(
    uow: UnitOfWork, order: PaymentOrder, cb: VerifiedCallback, result: CaptureResult
) -> str:
    """One order: a batch of one."""
    return finish_paid_many(uow, [(order, cb, result)])[0]


def finish_paid_many(
    uow: UnitOfWork,
    done: Sequence[Done],
    *,
    before_each: Callable[[int], None] | None = None,
) -> list[str]:
    """The orders of ``done`` paid, in order, inside the caller's unit of work.

    ``before_each(k)`` runs before item ``k``'s risk event and audit entry are recorded
    (the callback batch switches the actor there: each names its own caller)."""
    if not done:
        return []
    hook = before_each or _nothing
    now = clock.now()
    uow.session.execute(
        _MARK_PAID,
        [
            {
                "b_id": order.id,
                "b_trade_no": cb.trade_no,
                "b_payment_id": result.payment_id,
                "b_paid_at": now,
            }
            for order, cb, result in done
        ],
        execution_options=unscoped("orders paid by callback, in any unit"),
    )
    for order, cb, result in done:
        # The rows are written: the objects say so too, with nothing left to flush.
        set_committed_value(order, "status", OrderStatus.PAID)
        set_committed_value(order, "trade_no", cb.trade_no)
        set_committed_value(order, "payment_id", result.payment_id)
        set_committed_value(order, "paid_at", now)

    events: list[Event] = []

    def audited(k: int) -> None:  # recorded right after the order's risk note
        order, cb, result = done[k]
        hook(k)
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
        events.append(
            OnlineOrderPaid(
                order.order_no, cb.trade_no, result.payment_id, order.account_id, order.amount
            )
        )

    note_paid_many(
        uow,
        [PaidNote(o.account_id, o.amount, now, r.payment_id) for o, _, r in done],
        before_each=hook,
        after_each=audited,
    )
    # One executemany into the outbox instead of an ORM object per order. The events keep
    # their order; nothing else the finish does writes to the outbox in between.
    uow.emit_many(events)
    return [ACK] * len(done)


def _nothing(_: int) -> None:
    return None
