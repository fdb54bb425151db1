"""The rows of a capture (see :mod:`.batch`): payments, write-off postings
and write-offs, capture events, account credit and outbox messages, each table written
with one executemany or INSERT … RETURNING per batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, insert, literal, select, update
from sqlalchemy import cast as sql_cast

from safegrid.collection.balances import refresh_open, yuan
from safegrid.collection.models import CollectionPosting, WriteOff, WriteOffKind
from safegrid.payments.ledger.batch_bills import Plan
from safegrid.payments.ledger.capture_types import CaptureItem
from safegrid.payments.ledger.models import AccountCredit, Payment, PaymentStatus
from safegrid.platform.uow import UnitOfWork

ZERO = Decimal("0.00")


def table(model: Any) -> Table:
    return cast(Table, model.__table__)


def insert_payments(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    todo: list[int],
    plans: list[Plan],
    units: dict[int, int],
    now: datetime,
) -> list[int]:
    payments = table(Payment)
    rows = [
        {
            "idempotency_key": items[i].idempotency_key,
            "account_id": items[i].account_id,
            "bill_id": items[i].bill_id,
            "channel": items[i].channel,
            "status": PaymentStatus.CAPTURED,
            "amount": items[i].amount,
            "applied": yuan(plan.applied),
            "credited": items[i].amount - yuan(plan.applied),
            "refunded": ZERO,
            "receipt_no": items[i].receipt_no,
            "hall_id": items[i].hall_id,
            "cashier": items[i].cashier,
            "order_id": items[i].order_id,
            "bank_voucher": None,
            "captured_at": now,
            "captured_by": uow.actor.username,
            "posting_reference": None,
            "org_unit_id": units[items[i].account_id],
        }
        for i, plan in zip(todo, plans, strict=True)
    ]
    # A plain executemany, not INSERT … RETURNING: on PostgreSQL the multi-row statement
    # that RETURNING needs carries ~18 parameters per row, and the driver re-parses such a
    # long statement in Python at every batch (it caches only short ones) — that cost more
    # than the rows themselves.
    uow.session.execute(insert(payments), rows)
    # The posting reference names the payment id, known only now: one UPDATE for all, which
    # hands the ids back too (the keys are unique, and were not taken: ``_refuse_or_replay``).
    found = {
        str(key): int(pid)
        for key, pid in uow.session.execute(
            update(payments)
            .where(payments.c.idempotency_key.in_([r["idempotency_key"] for r in rows]))
            .values(posting_reference=literal("payment:") + sql_cast(payments.c.id, String))
            .returning(payments.c.idempotency_key, payments.c.id)
        ).all()
    }
    return [found[str(r["idempotency_key"])] for r in rows]


def insert_postings_and_write_offs(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    todo: list[int],
    plans: list[Plan],
    payment_ids: list[int],
    units: dict[int, int],
    now: datetime,
) -> list[int]:
    postings = table(CollectionPosting)
    by = uow.actor.username
    rows = [
        {
            "reference": f"payment:{pid}",
            "kind": WriteOffKind.PAYMENT,
            "bill_id": items[i].bill_id,
            "account_id": items[i].account_id,
            "requested": items[i].amount,
            "applied": yuan(plan.applied),
            "remainder": items[i].amount - yuan(plan.applied),
            "posted_at": now,
            "posted_by": by,
            "org_unit_id": units[items[i].account_id],
        }
        for i, plan, pid in zip(todo, plans, payment_ids, strict=True)
    ]
    # executemany, then the ids by their unique reference (see ``insert_payments``).
    uow.session.execute(insert(postings), rows)
    found = {
        str(ref): int(pid)
        for ref, pid in uow.session.execute(
            select(postings.c.reference, postings.c.id).where(
                postings.c.reference.in_([r["reference"] for r in rows])
            )
        ).all()
    }
    posting_ids = [found[str(r["reference"])] for r in rows]
    write_offs = [
        {
            "posting_id": posting_id,
            "bill_id": bill.id,
            "reference": plan.reference(pid, bill),
            "kind": WriteOffKind.PAYMENT,
            "amount": yuan(p + f),
            "late_fee_part": yuan(f),
            "written_at": now,
            "written_by": by,
            "unwinds_id": None,
            "org_unit_id": bill.org_unit_id,
        }
        for plan, pid, posting_id in zip(plans, payment_ids, posting_ids, strict=True)
        for bill, p, f in plan.parts
    ]
    if write_offs:
        uow.session.execute(insert(table(WriteOff)), write_offs)
        refresh_open(uow.session, {bill.id for plan in plans for bill, _p, _f in plan.parts})
    return posting_ids


def add_credit(
    uow: UnitOfWork,
    items: Sequence[CaptureItem],
    todo: list[int],
    plans: list[Plan],
    units: dict[int, int],
    now: datetime,
) -> None:
    """Remainders to account credit: one atomic ``balance = balance + :x`` per account
    (under its row lock, taken above), a new row where the account has none yet."""
    delta: dict[int, Decimal] = {}
    for i, plan in zip(todo, plans, strict=True):
        credited = items[i].amount - yuan(plan.applied)
        if credited > 0:
            delta[items[i].account_id] = delta.get(items[i].account_id, ZERO) + credited
    if not delta:
        return
    credits = table(AccountCredit)
    have = set(
        uow.session.scalars(
            select(credits.c.account_id).where(credits.c.account_id.in_(list(delta)))
        ).all()
    )
    old = [{"a": a, "d": d} for a, d in delta.items() if a in have]
    if old:
        uow.session.execute(
            update(credits)
            .where(credits.c.account_id == bindparam("a"))
            .values(
                balance=credits.c.balance + bindparam("d", type_=credits.c.balance.type),
                updated_at=now,
            ),
            old,
        )
    new = [
        {"account_id": a, "balance": d, "updated_at": now, "org_unit_id": units[a]}
        for a, d in delta.items()  # first credited item first, as one by one
        if a not in have
    ]
    if new:
        uow.session.execute(insert(credits), new)
