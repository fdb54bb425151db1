"""A year of customer payments for the demo utility (BILL-5, PAY-7), so the collection
dashboard shows what a utility sees: most bills paid between issue and due date, some paid
late, a tail of arrears, the latest month still being paid.

Who pays late follows hidden traits (:func:`paying_habit`) that are never stored: each
account's reliability, and spells of hardship that start more often for unreliable payers
and last a few months. The arrears-risk model (ANA-3) sees only what a utility sees — the
bills, payments, reminders and plans they leave behind — never the traits.

Payments go through the ledger's set-based capture (``payments.ledger.batch``) as bank
direct-debit results (银行代扣回盘, a few return files a month) — the same code the
callback batcher uses — dated on the day they were paid (the clock is set to that day for
each batch, then restored), so write-offs, postings and audit entries read as they would
have been written live. The history pays one month's bills at a time (``demo/history.py``).
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.billing.periods import shift
from safegrid.bootstrap import Platform
from safegrid.payments.ledger.batch import CaptureItem, capture_many
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ, FixedClock
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork

ACTOR_NAME = "demo-payments"
# Payments per transaction. Small enough that the server's own writes (sign-ins, audit),
# which wait for the history's transactions on SQLite, wait well under a second even when
# the low-priority history process is short of CPU while it holds the write lock.
BATCH = 500
KEY_PREFIX = "demo-dd:"  # + the bill id: a bill is paid by direct debit at most once
LATEST_PAID_SHARE = 0.55  # the latest month is still being paid
HARDSHIP_MONTHS = (2, 5)  # a spell of hardship lasts this many months (inclusive)
LATE_DAYS = (2, 40)  # a late payer pays this many days after the due date


# Banks return direct-debit files on a few fixed days after the bills are issued.
DEBIT_DAYS_AFTER_ISSUE = (1, 4, 9, 14)


def _pay_day(rng: random.Random, issued: date, due: date, yesterday: date) -> date | None:
    days = [issued + timedelta(days=n) for n in DEBIT_DAYS_AFTER_ISSUE]
    allowed = [d for d in days if d <= min(due, yesterday)]
    return rng.choice(allowed) if allowed else None


@dataclasses.dataclass(frozen=True)
class Habit:
    on_time: float  # chance of paying this month's bill by its due date
    late: float  # chance of paying it late when not on time (else it stays unpaid)


def paying_habit(seed: int, account_id: int, period: str) -> Habit:
    """The account's hidden habit in ``period``: reliability r ~ Beta(5, 1) for life;
    in any month a hardship spell starts with chance 2 % + 10 % × (1 − r) and lasts 2–5
    months. Deterministic in (seed, account, period), so a resumed run draws the same."""
    r = random.Random(f"{seed}:trait:{account_id}").betavariate(5, 1)
    start = 0.02 + 0.10 * (1 - r)
    hardship = False
    for back in range(HARDSHIP_MONTHS[1]):
        spell = random.Random(f"{seed}:hardship:{account_id}:{shift(period, -back)}")
        if spell.random() < start and spell.randint(*HARDSHIP_MONTHS) > back:
            hardship = True
            break
    if hardship:
        return Habit(on_time=0.1, late=0.35)
    return Habit(on_time=0.55 + 0.44 * r, late=0.7)


Plan = list[tuple[date, list[CaptureItem]]]


def plan_payments(
    platform: Platform, seed: int, period: str, *, latest: bool, last_day: date
) -> tuple[Plan, int]:
    """Which of ``period``'s bills are paid, on which day (deterministic by ``seed``), left
    out those an interrupted run already captured, and how many are paid in all.
    ``latest``: the newest billed month, still being paid; nothing is paid after
    ``last_day`` (yesterday when the demo was planned)."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    rng = random.Random(f"{seed}:payments:{period}")
    # The latest month: only some of its bills have come back from the banks yet.
    share = LATEST_PAID_SHARE if latest else 1.0
    with platform.uow(actor, readonly=True) as uow:
        rows = uow.session.execute(
            select(Bill.id, Bill.account_id, Bill.amount, Bill.issued_at, Bill.due_date)
            .where(
                Bill.period == period,
                Bill.kind == BillKind.NORMAL,
                Bill.status == BillStatus.ISSUED,
            )
            .order_by(Bill.id)
        ).all()
        items: list[tuple[date, CaptureItem]] = []
        for r in rows:
            # Every bill draws, paid or not, so a resumed run draws what the first one did.
            habit = paying_habit(seed, r.account_id, period)
            pays, on_time, late_by = rng.random(), rng.random(), rng.randint(*LATE_DAYS)
            issued = r.issued_at.astimezone(BUSINESS_TZ).date()
            day = _pay_day(rng, issued, r.due_date, last_day)
            if pays >= share or r.amount <= 0:
                continue
            if on_time >= habit.on_time:
                late_day = r.due_date + timedelta(days=late_by)
                paid_late = on_time < habit.on_time + (1 - habit.on_time) * habit.late
                day = late_day if paid_late and late_day <= last_day else None
            if day is None:
                continue
            items.append(
                (
                    day,
                    CaptureItem(
                        account_id=r.account_id,
                        amount=r.amount,
                        channel=PaymentChannel.BANK_DIRECT_DEBIT,
                        idempotency_key=f"{KEY_PREFIX}{r.id}",
                        # A debit names its bill, so a late payment settles that bill,
                        # not an older unpaid one.
                        bill_id=r.id,
                    ),
                )
            )
        captured = _captured(uow.session, [item.idempotency_key for _day, item in items])
    by_day: dict[date, list[CaptureItem]] = defaultdict(list)
    for day, item in items:
        if item.idempotency_key not in captured:
            by_day[day].append(item)
    return [(day, by_day[day]) for day in sorted(by_day)], len(items)


def _captured(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        found.update(
            session.scalars(
                select(Payment.idempotency_key).where(Payment.idempotency_key.in_(chunk))
            )
        )
    return found


def pay_month(
    platform: Platform,
    seed: int,
    period: str,
    *,
    latest: bool,
    last_day: date,
    advance: Callable[[str, int], None] = lambda _what, _n: None,
) -> int:
    """Capture the payments of ``period``'s bills not captured yet; returns how many of its
    bills are paid by direct debit (including those paid before an interruption)."""
    plan, paid = plan_payments(platform, seed, period, latest=latest, last_day=last_day)
    pay_bills(platform, plan, lambda n: advance("payments", n))
    return paid


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
