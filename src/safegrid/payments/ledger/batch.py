"""The ledger's capture (PAY-7, BILL-5; ADR 0010): one set-based implementation, for one
payment or thousands in one transaction.

:func:`capture_many` captures its items in order, inside the caller's open unit of work:
the accounts are locked in primary-key order, their open bills locked and balanced in
three set-based statements, the money allocated in Python in integer fen (principal
before late fee, oldest due date first; a payment for a named bill goes to that bill
only), and the rows inserted with executemany / INSERT … RETURNING. :func:`capture` is a
batch of one (:mod:`safegrid.payments.ledger.services` wraps it for ``do_capture``).

The items are taken in *runs*, each run set-based; a new run starts at an item whose
idempotency key or order is already in the run (it must see the earlier one committed to
the ledger: a replay, or "order already paid"), or whose account has an open
disconnection notice or a disconnected supply and is already in the run: paying such an
account off cancels the notice and restores supply (``notices.settle_account``), which
looks at the account's arrears after *its* payment, as if the payments came one by one.

An item the ledger refuses (bad amount or key, unknown account or bill, a bill of another
account or a reversal bill, a key used for another payment, an order already paid) gets
its error in its place in the answer list, and nothing of it is written; every other error
propagates (the caller rolls back).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import insert, select

from safegrid.collection import notices
from safegrid.collection.balances import yuan
from safegrid.collection.models import (
    OPEN_NOTICE,
    DisconnectionNotice,
    SupplyState,
    SupplyStatus,
    WriteOffKind,
)
from safegrid.customers.models import Account
from safegrid.payments.ledger.batch_bills import OpenBill, Plan, allocate, open_bills
from safegrid.payments.ledger.batch_checks import refuse_or_replay
from safegrid.payments.ledger.batch_rows import (
    add_credit,
    insert_payments,
    insert_postings_and_write_offs,
    table,
)
from safegrid.payments.ledger.capture_types import Answer, CaptureItem, CaptureResult, Hook
from safegrid.payments.ledger.events import PaymentCaptured
from safegrid.payments.ledger.input import check_amount, check_key
from safegrid.payments.ledger.models import (
    PaymentEvent,
    PaymentEventKind,
)
from safegrid.platform import clock
from safegrid.platform.errors import SafeGridError
from safegrid.platform.events import Event
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

__all__ = ["Answer", "CaptureItem", "CaptureResult", "capture", "capture_many"]


def capture(uow: UnitOfWork, item: CaptureItem) -> CaptureResult:
    """One payment: a batch of one; the ledger's refusal is raised."""
    (answer,) = capture_many(uow, [item])
    if isinstance(answer, Exception):
        raise answer
    return answer


def capture_many(
    uow: UnitOfWork, items: Sequence[CaptureItem], *, before_each: Hook | None = None
) -> list[Answer]:
    """Capture ``items`` in order inside the caller's open unit of work (no commit); an
    item's refusal is returned in its place instead of raised.

    ``before_each(i)`` runs before item ``i``'s audit entries are written (the callback
    applier switches the unit of work's actor there: each entry names its own caller)."""
    hook = before_each or _nothing
    answers: list[Answer | None] = [None] * len(items)
    watched = _watched(uow, items)
    for run in _runs(items, watched):
        _capture_run(uow, items, run, answers, hook, watched)
    return [a if a is not None else RuntimeError("not captured") for a in answers]


def _nothing(_: int) -> None:
    return None


def _runs(items: Sequence[CaptureItem], watched: set[int]) -> list[list[int]]:
    """Consecutive items that may be captured together (see the module docstring)."""
    runs: list[list[int]] = []
    run: list[int] = []
    keys: set[str] = set()
    orders: set[int] = set()
    accounts: set[int] = set()
    for i, item in enumerate(items):
        if (
            item.idempotency_key in keys
            or (item.order_id is not None and item.order_id in orders)
            or (item.account_id in watched and item.account_id in accounts)
        ):
            runs.append(run)
            run, keys, orders, accounts = [], set(), set(), set()
        run.append(i)
        keys.add(item.idempotency_key)
        accounts.add(item.account_id)
        if item.order_id is not None:
            orders.add(item.order_id)
    if run:
        runs.append(run)
    return runs


def _watched(uow: UnitOfWork, items: Sequence[CaptureItem]) -> set[int]:
    """Accounts with an open disconnection notice or a disconnected supply (rare: two
    indexed lookups per batch)."""
    accounts = sorted({item.account_id for item in items})
    if not accounts:
        return set()
    return set(
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


def _capture_run(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    run: list[int],
    answers: list[Answer | None],
    hook: Hook,
    watched: set[int],
) -> None:
    """Items ``run``: distinct keys and orders, a watched account at most once."""
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
    todo = refuse_or_replay(uow, items, todo, units, answers)
    if not todo:
        return
    directed = sorted({b for i in todo if (b := items[i].bill_id) is not None})
    bills, named = open_bills(uow, sorted({items[i].account_id for i in todo}), directed)
    now = clock.now()
    by = uow.actor.username
    plans = [_plan(items[i], bills, named) for i in todo]
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
        _audit_write_off(uow, item, plan, pid, posting_id, unit, applied, credited)
        events.extend(plan.events(pid, item.account_id))
        if item.account_id in watched and plan.parts:
            # Its notices and supply change now, after its write-off, as one by one; the
            # outbox keeps the events in that order.
            uow.emit_many(events)
            events = []
            notices.settle_account(uow, item.account_id, f"payment:{pid}")
        _audit_capture(uow, item, plan, pid, unit, applied, credited)
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


def _plan(item: CaptureItem, bills: dict[int, list[OpenBill]], named: dict[int, OpenBill]) -> Plan:
    """A payment for a named bill goes to that bill only; any other, oldest bill first."""
    if item.bill_id is None:
        return allocate(item.amount, bills.get(item.account_id, []))
    bill = named.get(item.bill_id)
    return allocate(item.amount, [bill] if bill is not None else [], directed=item.bill_id)


def _lock_accounts(uow: UnitOfWork, account_ids: list[int]) -> dict[int, int]:
    """Row locks on the accounts in primary-key order; account id → its org unit. The
    actor's scope applies: an account outside it is unknown."""
    if not account_ids:
        return {}
    rows = uow.session.execute(
        select(Account.id, Account.org_unit_id)
        .where(Account.id.in_(account_ids))
        .order_by(Account.id)
        .with_for_update()
    ).all()
    return {int(a): int(u) for a, u in rows}


def _audit_write_off(
    uow: UnitOfWork,
    item: CaptureItem,
    plan: Plan,
    payment_id: int,
    posting_id: int,
    unit: int,
    applied: Decimal,
    credited: Decimal,
) -> None:
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
            "bills": [bill.id for bill, _, _ in plan.parts],
        },
    )


def _audit_capture(
    uow: UnitOfWork,
    item: CaptureItem,
    plan: Plan,
    payment_id: int,
    unit: int,
    applied: Decimal,
    credited: Decimal,
) -> None:
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
            "bills": [bill.id for bill, _, _ in plan.parts],
            "receipt_no": item.receipt_no,
            "order_id": item.order_id,
            "cashier": item.cashier,
        },
    )
