"""Set-based capture of many payments in one transaction (PAY-7, BILL-5; ADR 0010).

:func:`capture_many` gives exactly what calling :func:`safegrid.payments.ledger.capture`
once per item, in order, gives — the same Payment, PaymentEvent, CollectionPosting,
WriteOff and AccountCredit rows, the same results, the same audit entries and events —
with a handful of statements per batch instead of ORM work per item: the accounts are
locked in primary-key order, their open bills locked and balanced in three set-based
queries, the money allocated in Python in integer fen (principal before late fee, oldest
due date first), and the rows inserted with executemany / INSERT … RETURNING.

Anything the fast path does not cover goes through ``ledger.capture`` for that item, at
its place in the sequence (correctness first): a directed ``bill_id``, a key or an order
repeated inside the batch, an account with an open disconnection notice or a disconnected
supply (paying it off must cancel the notice and restore supply:
``notices.settle_account``). A fast-path account therefore never needs ``settle_account``:
it would find nothing to cancel or restore.

An item that ``capture`` would refuse (bad amount or key, unknown account, key used for
another payment, order already paid) gets the same error in its place in the answer list,
and nothing of it is written; every other error propagates (the caller rolls back).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import insert, select

from safegrid.collection.balances import yuan
from safegrid.collection.models import (
    OPEN_NOTICE,
    DisconnectionNotice,
    SupplyState,
    SupplyStatus,
    WriteOffKind,
)
from safegrid.customers.models import Account
from safegrid.payments import ledger
from safegrid.payments.events import PaymentCaptured
from safegrid.payments.ledger import CaptureResult
from safegrid.payments.ledger_batch_bills import Plan, allocate, open_bills
from safegrid.payments.ledger_batch_rows import (
    add_credit,
    insert_payments,
    insert_postings_and_write_offs,
    table,
)
from safegrid.payments.ledger_input import check_amount, check_key
from safegrid.payments.models import (
    Payment,
    PaymentChannel,
    PaymentEvent,
    PaymentEventKind,
)
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, SafeGridError
from safegrid.platform.events import Event
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

Answer = CaptureResult | Exception


@dataclasses.dataclass(frozen=True)
class CaptureItem:
    """The arguments of one ``ledger.capture`` call."""

    account_id: int
    amount: Decimal
    channel: PaymentChannel
    idempotency_key: str
    bill_id: int | None = None
    receipt_no: str | None = None
    hall_id: int | None = None
    order_id: int | None = None
    cashier: str | None = None


def capture_many(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    *,
    before_each: Callable[[int], None] | None = None,
) -> list[Answer]:
    """``[ledger.capture(uow, **item) for item in items]`` inside the caller's open unit of
    work (no commit), an item's refusal returned in its place instead of raised.

    ``before_each(i)`` runs before item ``i``'s audit entries are written (the callback
    batcher switches the unit of work's actor there: each entry names its own caller)."""
    hook = before_each or _nothing
    answers: list[Answer | None] = [None] * len(items)
    slow = _slow_items(uow, items)
    run: list[int] = []
    for i in range(len(items)):
        if i in slow:
            _capture_fast(uow, items, run, answers, hook)
            run = []
            hook(i)
            answers[i] = _capture_one(uow, items[i])
        else:
            run.append(i)
    _capture_fast(uow, items, run, answers, hook)
    return [a if a is not None else RuntimeError("not captured") for a in answers]


def _nothing(_: int) -> None:
    return None


def _capture_one(uow: UnitOfWork, item: CaptureItem) -> Answer:
    """One item through ``ledger.capture``, in a savepoint: a refusal after its payment row
    was flushed (a directed bill that cannot be written off) leaves nothing behind."""
    try:
        with uow.session.begin_nested():
            return ledger.capture(uow, **dataclasses.asdict(item))
    except SafeGridError as exc:
        return exc


def _slow_items(uow: UnitOfWork, items: Sequence[CaptureItem]) -> set[int]:
    """Items the fast path leaves to ``ledger.capture`` (see the module docstring)."""
    slow: set[int] = set()
    keys: set[str] = set()
    orders: set[int] = set()
    for i, item in enumerate(items):
        if item.bill_id is not None or item.idempotency_key in keys or item.order_id in orders:
            slow.add(i)
        keys.add(item.idempotency_key)
        if item.order_id is not None:
            orders.add(item.order_id)
    accounts = sorted({item.account_id for item in items})
    if not accounts:
        return slow
    # Open notices and disconnected supplies are rare: two indexed lookups per batch.
    watched = set(
        uow.session.scalars(
            select(DisconnectionNotice.account_id).where(
                DisconnectionNotice.account_id.in_(accounts),
                DisconnectionNotice.status.in_(OPEN_NOTICE),
            ),
            execution_options=unscoped("open notices of the paying accounts, any unit"),
        ).all()
    ) | set(
        uow.session.scalars(
            select(SupplyState.account_id).where(
                SupplyState.account_id.in_(accounts),
                SupplyState.status == SupplyStatus.DISCONNECTED,
            ),
            execution_options=unscoped("supply state of the paying accounts, any unit"),
        ).all()
    )
    slow.update(i for i, item in enumerate(items) if item.account_id in watched)
    return slow


def _capture_fast(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    run: list[int],
    answers: list[Answer | None],
    hook: Callable[[int], None],
) -> None:
    """Items ``run`` (distinct keys and orders, no directed bill, no watched account)."""
    if not run:
        return
    todo: list[int] = []
    for i in run:
        try:
            check_amount(items[i].amount)
            check_key(items[i].idempotency_key, "idempotency_key")
        except SafeGridError as exc:
            answers[i] = exc
            continue
        todo.append(i)
    units = _lock_accounts(uow, sorted({items[i].account_id for i in todo}))
    todo = _refuse_or_replay(uow, items, todo, units, answers)
    if not todo:
        return
    bills = open_bills(uow, sorted({items[i].account_id for i in todo}))
    now = clock.now()
    by = uow.actor.username
    plans = [allocate(items[i].amount, bills.get(items[i].account_id, [])) for i in todo]
    payment_ids = insert_payments(uow, items, todo, plans, units, now)
    posting_ids = insert_postings_and_write_offs(uow, items, todo, plans, payment_ids, units, now)
    uow.session.execute(
        insert(table(PaymentEvent)),
        [
            {
                "payment_id": pid,
                "kind": PaymentEventKind.CAPTURED,
                "reference": f"capture:{pid}",
                "amount": items[i].amount,
                "applied": yuan(plan.applied),
                "credited": items[i].amount - yuan(plan.applied),
                "reason": None,
                "at": now,
                "by": by,
                "org_unit_id": units[items[i].account_id],
            }
            for i, plan, pid in zip(todo, plans, payment_ids, strict=True)
        ],
    )
    add_credit(uow, items, todo, plans, units, now)
    events: list[Event] = []
    for i, plan, pid, posting_id in zip(todo, plans, payment_ids, posting_ids, strict=True):
        item, unit = items[i], units[items[i].account_id]
        applied = yuan(plan.applied)
        credited = item.amount - applied
        hook(i)
        _audit(uow, item, plan, pid, posting_id, unit, applied, credited)
        events.extend(plan.events(pid, item.account_id))
        events.append(
            PaymentCaptured(
                payment_id=pid,
                account_id=item.account_id,
                channel=item.channel.value,
                amount=str(item.amount),
                applied=str(applied),
                credited=str(credited),
                org_unit_id=unit,
            )
        )
        answers[i] = CaptureResult(pid, applied, credited, replayed=False)
    uow.emit_many(events)


def _lock_accounts(uow: UnitOfWork, account_ids: list[int]) -> dict[int, int]:
    """Row locks on the accounts in primary-key order (as ``ledger.capture`` takes them one
    by one); account id → its org unit. The actor's scope applies, as in ``capture``."""
    if not account_ids:
        return {}
    rows = uow.session.execute(
        select(Account.id, Account.org_unit_id)
        .where(Account.id.in_(account_ids))
        .order_by(Account.id)
        .with_for_update()
    ).all()
    return {int(a): int(u) for a, u in rows}


def _refuse_or_replay(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    todo: list[int],
    units: dict[int, int],
    answers: list[Answer | None],
) -> list[int]:
    """``capture``'s checks after its account lock, for the whole run; returns what is
    left to capture."""
    keys = [items[i].idempotency_key for i in todo]
    found = {
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
                Payment.idempotency_key.in_(keys),
                PaymentEvent.kind == PaymentEventKind.CAPTURED,
            ),
            execution_options=unscoped("idempotency keys are unique utility-wide"),
        ).all()
    }
    order_ids = [items[i].order_id for i in todo if items[i].order_id is not None]
    paid_orders = set(
        uow.session.scalars(
            select(Payment.order_id).where(Payment.order_id.in_(order_ids)),
            execution_options=unscoped("an order is paid once, utility-wide"),
        ).all()
        if order_ids
        else []
    )
    left: list[int] = []
    for i in todo:
        item = items[i]
        if item.account_id not in units:
            answers[i] = NotFoundError("户号不存在 / account not found", field="account_id")
        elif item.idempotency_key in found:
            pid, acc, amount, applied, credited = found[item.idempotency_key]
            if acc != item.account_id or amount != item.amount:
                answers[i] = ConflictError(
                    "幂等键已用于另一笔缴费 / idempotency key already used for another payment",
                    field="idempotency_key",
                )
            else:
                answers[i] = CaptureResult(pid, applied, credited, replayed=True)
        elif item.order_id is not None and item.order_id in paid_orders:
            answers[i] = ConflictError("订单已缴费 / the order is already paid", field="order_id")
        else:
            left.append(i)
    return left


def _audit(
    uow: UnitOfWork,
    item: CaptureItem,
    plan: Plan,
    payment_id: int,
    posting_id: int,
    unit: int,
    applied: Decimal,
    credited: Decimal,
) -> None:
    """The two entries ``capture`` writes: the write-off posting's, then the payment's."""
    bills = [bill.id for bill, _, _ in plan.parts]
    uow.audit(
        "collection.write_off",
        object_type="collection_posting",
        object_id=posting_id,
        org_unit_id=unit,
        after={
            "reference": f"payment:{payment_id}",
            "kind": WriteOffKind.PAYMENT.value,
            "requested": str(item.amount),
            "applied": str(applied),
            "remainder": str(credited),
            "bills": bills,
        },
    )
    uow.audit(
        "payment.capture",
        object_type="payment",
        object_id=payment_id,
        org_unit_id=unit,
        after={
            "account_id": item.account_id,
            "channel": item.channel.value,
            "amount": str(item.amount),
            "applied": str(applied),
            "credited": str(credited),
            "bills": bills,
            "receipt_no": item.receipt_no,
            "order_id": item.order_id,
            "cashier": item.cashier,
        },
    )
