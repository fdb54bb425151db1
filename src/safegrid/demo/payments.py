"""A year of customer payments for the demo utility (BILL-5, PAY-7), so the collection
dashboard shows what a utility sees: most bills paid between issue and due date, a tail
of arrears, the latest month still being paid.

Payments go through the ledger's set-based capture (``payments.ledger_batch``) as bank
direct-debit results (银行代扣回盘, a few return files a month) — the same code the
callback batcher uses — dated on the day they were paid (the clock is set to that day for each batch, then restored), so
write-offs, postings and audit entries read as they would have been written live.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.bootstrap import Platform
from safegrid.payments.ledger.batch import CaptureItem, capture_many
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ, FixedClock
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork

ACTOR_NAME = "demo-payments"
BATCH = 2_000
PAID_SHARE = 0.93  # of each earlier month's bills
LATEST_PAID_SHARE = 0.55  # the latest month is still being paid


# Banks return direct-debit files on a few fixed days after the bills are issued.
DEBIT_DAYS_AFTER_ISSUE = (1, 4, 9, 14)


def _pay_day(rng: random.Random, issued: date, due: date, yesterday: date) -> date | None:
    days = [issued + timedelta(days=n) for n in DEBIT_DAYS_AFTER_ISSUE]
    allowed = [d for d in days if d <= min(due, yesterday)]
    return rng.choice(allowed) if allowed else None


Plan = list[tuple[date, list[CaptureItem]]]


def plan_payments(platform: Platform, seed: int) -> Plan:
    """Which bills are paid, on which day (deterministic by ``seed``)."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    rng = random.Random(f"{seed}:payments")
    with platform.uow(actor, readonly=True) as uow:
        rows = uow.session.execute(
            select(
                Bill.id, Bill.account_id, Bill.amount, Bill.period, Bill.issued_at, Bill.due_date
            )
            .where(Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)
            .order_by(Bill.id)
        ).all()
    latest = max((r.period for r in rows), default=None)
    yesterday = clock.business_day() - timedelta(days=1)
    by_day: dict[date, list[CaptureItem]] = defaultdict(list)
    for r in rows:
        share = LATEST_PAID_SHARE if r.period == latest else PAID_SHARE
        if r.amount <= 0 or rng.random() >= share:
            continue
        day = _pay_day(rng, r.issued_at.astimezone(BUSINESS_TZ).date(), r.due_date, yesterday)
        if day is None:
            continue
        by_day[day].append(
            CaptureItem(
                account_id=r.account_id,
                amount=r.amount,
                channel=PaymentChannel.BANK_DIRECT_DEBIT,
                idempotency_key=f"demo-dd:{r.id}",
            )
        )
    return [(day, by_day[day]) for day in sorted(by_day)]


def pay_bills(
    platform: Platform, plan: Plan, advance: Callable[[int], None] = lambda _n: None
) -> int:
    """Capture the planned payments; returns how many were captured."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    real = clock.current()  # restored below: the demo must not leave the clock fixed
    paid = 0
    try:
        for day, items in plan:
            clock.set_clock(FixedClock(datetime.combine(day, time(10, 30), tzinfo=BUSINESS_TZ)))
            for start in range(0, len(items), BATCH):
                chunk = items[start : start + BATCH]
                # Entries chained at commit in one go, as the callback batcher does.
                with DeferredAuditUnitOfWork(platform.session_factory, actor) as uow:
                    answers = capture_many(uow, chunk)
                    failed = [a for a in answers if isinstance(a, Exception)]
                    if failed:
                        raise RuntimeError(f"demo payment refused: {failed[0]}")
                    uow.commit()
                paid += len(chunk)
                advance(len(chunk))
    finally:
        clock.set_clock(real)
    return paid
