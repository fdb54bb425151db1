"""The capture's checks after the account locks (see :mod:`.batch`), for a whole run at
once: unknown account or bill, a key already captured (its first answer, or a conflict), an
order already paid, a bill of another account or a reversal bill."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select

from safegrid.billing.models import Bill, BillKind
from safegrid.payments.ledger.capture_types import Answer, CaptureItem, CaptureResult
from safegrid.payments.ledger.models import Payment, PaymentEvent, PaymentEventKind
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

_KEYS = unscoped("idempotency keys and orders are unique across the utility")
BILL_NOT_FOUND = "账单不存在 / bill not found"


def captured_by_key(
    uow: UnitOfWork, keys: Sequence[str]
) -> dict[str, tuple[int, int, Decimal, Decimal, Decimal]]:
    """Payments already captured under ``keys``: key → (payment id, account id, amount,
    applied and credited by the capture)."""
    if not keys:
        return {}
    return {
        str(key): (int(pid), int(acc), amount, applied, credited)
        for key, pid, acc, amount, applied, credited in uow.session.execute(
            select(
                Payment.idempotency_key,
                Payment.id,
                Payment.account_id,
                Payment.amount,
                PaymentEvent.applied,
                PaymentEvent.credited,
            )
            .join(PaymentEvent, PaymentEvent.payment_id == Payment.id)
            .where(
                Payment.idempotency_key.in_(list(keys)),
                PaymentEvent.kind == PaymentEventKind.CAPTURED,
            ),
            execution_options=_KEYS,
        ).all()
    }


def replay(
    found: tuple[int, int, Decimal, Decimal, Decimal], item: CaptureItem
) -> CaptureResult | ConflictError:
    """The first capture's answer for a repeat of ``item`` (or the key's other use)."""
    pid, acc, amount, applied, credited = found
    if acc != item.account_id or amount != item.amount:
        return ConflictError(
            "幂等键已用于另一笔缴费 / idempotency key already used for another payment",
            field="idempotency_key",
        )
    return CaptureResult(pid, applied, credited, replayed=True)


def refuse_or_replay(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    todo: list[int],
    units: dict[int, int],
    answers: list[Answer | None],
) -> list[int]:
    """The checks after the account locks, for the whole run; returns what is left to
    capture."""
    found = captured_by_key(uow, [items[i].idempotency_key for i in todo])
    order_ids = [o for i in todo if (o := items[i].order_id) is not None]
    paid_orders = set(
        uow.session.scalars(
            select(Payment.order_id).where(Payment.order_id.in_(order_ids)),
            execution_options=_KEYS,
        ).all()
        if order_ids
        else []
    )
    bill_ids = sorted({b for i in todo if (b := items[i].bill_id) is not None})
    # Scoped, as the caller sees bills: one outside the caller's units is unknown.
    bills = (
        {
            int(b): (int(acc), kind)
            for b, acc, kind in uow.session.execute(
                select(Bill.id, Bill.account_id, Bill.kind).where(Bill.id.in_(bill_ids))
            ).all()
        }
        if bill_ids
        else {}
    )
    left: list[int] = []
    for i in todo:
        item = items[i]
        if item.account_id not in units:
            answers[i] = NotFoundError("户号不存在 / account not found", field="account_id")
        elif item.idempotency_key in found:
            answers[i] = replay(found[item.idempotency_key], item)
        elif item.order_id is not None and item.order_id in paid_orders:
            answers[i] = ConflictError("订单已缴费 / the order is already paid", field="order_id")
        elif item.bill_id is not None and item.bill_id not in bills:
            answers[i] = NotFoundError(BILL_NOT_FOUND, field="bill_id")
        elif item.bill_id is not None and bills[item.bill_id][0] != item.account_id:
            answers[i] = ValidationProblem(
                "账单不属于该户号 / the bill belongs to another account", field="bill_id"
            )
        elif item.bill_id is not None and bills[item.bill_id][1] != BillKind.NORMAL:
            answers[i] = ValidationProblem(
                "冲正账单不能销账 / a reversal bill cannot be written off", field="bill_id"
            )
        else:
            left.append(i)
    return left
