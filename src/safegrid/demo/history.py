"""The demo utility's year of history, filled month by month after the core exists.

``safegrid demo generate`` writes the core a newcomer signs in to (org, staff, customers,
tariffs) and plans the history: the window, the seed, each meter's load
(``demo/models.py``). :func:`complete_history` — ``safegrid demo history``, started in the
background by ``make demo`` — then walks the months oldest first, because a bill's tier
position depends on the months billed before it. Each month is:

1. its daily readings, a few blocks of meters per short audited transaction that also
   moves the month's mark (``UPDATE … SET readings_through = :new WHERE readings_through =
   :old``, so two runners never write a block twice: the later one stops);
2. for a month wholly inside the window: closed and billed by the readings and billing
   services, dated the 3rd of the next month (``demo/billing.py``);
3. the direct-debit payments of its bills through the ledger's batch capture, committed a
   few thousand at a time (``demo/payments.py``); a payment's idempotency key is its bill,
   so bills already paid by an interrupted run are left out;
4. marked done, with its counts, in an audited transaction.

Every step checks the database first, so killing the process at any point and starting it
again (a second ``make demo``) finishes the same history as an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any, cast

import numpy as np
from sqlalchemy import CursorResult, Update, func, insert, select, update
from sqlalchemy.orm import Session

from safegrid.billing.periods import first_day as period_first_day
from safegrid.billing.periods import last_day as period_last_day
from safegrid.billing.periods import of_day, shift
from safegrid.bootstrap import Platform
from safegrid.customers.models import Meter
from safegrid.demo import advice as demo_advice
from safegrid.demo import billing, profiles, readings
from safegrid.demo import payments as demo_payments
from safegrid.demo import reconciliation as demo_reconciliation
from safegrid.demo.archive import MeterPlan
from safegrid.demo.models import DemoHistory, DemoHistoryMonth, DemoMeterLoad
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError
from safegrid.reconciliation import periods
from safegrid.security.actor import Actor

ACTOR_NAME = "demo-history"
_LOAD_CHUNK = 5_000
# Well under a second of writing: the server's own writes (sign-ins, audit) wait for the
# history's transactions on SQLite, and the low-priority history process may be short of
# CPU while it holds the write lock.
READINGS_PER_COMMIT = 50_000


class HistoryTakenOverError(ConflictError):
    """Another ``safegrid demo history`` moved the month on first: this one stops."""


@dataclasses.dataclass(frozen=True)
class HistoryTotals:
    readings: int
    bills: int
    payments: int


@dataclasses.dataclass(frozen=True)
class HistoryProgress:
    """What the dashboard shows while the history fills in."""

    first_day: date
    last_day: date
    months: int
    done: int
    current: str | None  # the month being filled, None once finished
    readings: int
    bills: int
    payments: int
    finished: bool

    @property
    def percent(self) -> int:
        return 100 if self.finished else (100 * self.done) // max(self.months, 1)


@dataclasses.dataclass(frozen=True)
class _Window:
    """The planned history as every step needs it."""

    seed: int
    first: date
    last: date
    latest_billed: str | None  # the newest billed month is still being paid


@dataclasses.dataclass(frozen=True)
class _Month:
    period: str
    first_day: date
    last_day: date
    billed: bool


def _months(first: date, last: date) -> list[_Month]:
    """Calendar months meeting [first, last]; those wholly inside it are billed."""
    billed = set(billing.complete_months(first, last))
    months = []
    period = of_day(first)
    while period_first_day(period) <= last:
        start, end = period_first_day(period), period_last_day(period)
        months.append(_Month(period, max(start, first), min(end, last), period in billed))
        period = shift(period, 1)
    return months


def plan_history(
    session: Session, seed: int, first: date, last: date, plans: list[MeterPlan]
) -> int:
    """Record the window, its months and every meter's load in the core's transaction;
    returns how many readings the history will write."""
    session.add(
        DemoHistory(id=1, seed=seed, first_day=first, last_day=last, planned_at=clock.now())
    )
    session.execute(
        insert(DemoHistoryMonth),
        [
            {
                "period": m.period,
                "first_day": m.first_day,
                "last_day": m.last_day,
                "billed": m.billed,
            }
            for m in _months(first, last)
        ],
    )
    for start in range(0, len(plans), _LOAD_CHUNK):
        session.execute(
            insert(DemoMeterLoad),
            [
                {
                    "meter_id": p.meter_id,
                    "kind": int(p.load.kind),
                    "base_kwh": p.load.base_kwh,
                    "seasonality": p.load.seasonality,
                    "weekend": p.load.weekend,
                    "noise": p.load.noise,
                    "start_register_c": p.start_register_c,
                }
                for p in plans[start : start + _LOAD_CHUNK]
            ],
        )
    return len(plans) * ((last - first).days + 1)


def _meter_plans(session: Session) -> list[MeterPlan]:
    rows = session.execute(
        select(DemoMeterLoad, Meter.org_unit_id, Meter.multiplier)
        .join(Meter, Meter.id == DemoMeterLoad.meter_id)
        .order_by(DemoMeterLoad.meter_id)
    ).all()
    return [
        MeterPlan(
            load.meter_id,
            unit_id,
            multiplier,
            profiles.LoadParams(
                profiles.Load(load.kind), load.base_kwh, load.seasonality, load.weekend, load.noise
            ),
            load.start_register_c,
        )
        for load, unit_id, multiplier in rows
    ]


Advance = Callable[[str, int], None]


def complete_history(
    platform: Platform, advance: Advance = lambda _what, _n: None
) -> HistoryTotals | None:
    """Fill every month not done yet; None when this database has no planned history.
    ``advance(what, n)`` reports ``n`` more "readings", "bills" or "payments", or a
    finished month ("months", 1)."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    with platform.uow(actor, readonly=True) as uow:
        plan = uow.session.get(DemoHistory, 1)
        if plan is None:
            return None
        months = list(
            uow.session.scalars(select(DemoHistoryMonth).order_by(DemoHistoryMonth.period))
        )
        window = _Window(
            plan.seed,
            plan.first_day,
            plan.last_day,
            max((m.period for m in months if m.billed), default=None),
        )
        pending = [m for m in months if m.done_at is None]
        plan_last = plan.last_day
        meters = _meter_plans(uow.session) if pending else []
    if pending:
        billing.seed_tariffs(platform)
    for month in pending:
        _fill_month(platform, actor, month, window, meters, advance)
    # The last whole month's bank statements and its reconciliation (idempotent).
    demo_reconciliation.fill_month(platform, periods.previous(plan_last))
    # Tariff advice on the year of readings, and the portal's shop owner bound to an
    # account it is for (idempotent).
    demo_advice.advise_once(platform, plan_last)
    return totals(platform)


def _fill_month(
    platform: Platform,
    actor: Actor,
    month: DemoHistoryMonth,
    window: _Window,
    meters: list[MeterPlan],
    advance: Advance,
) -> None:
    if month.readings_at is None:
        _write_month_readings(platform, actor, month, window, meters, advance)
    bills = 0
    if month.billed:
        bills = billing.bill_month(platform, month.period)
        advance("bills", bills)
    paid = demo_payments.pay_month(
        platform,
        window.seed,
        month.period,
        latest=month.period == window.latest_billed,
        last_day=window.last,
        advance=advance,
    )
    with platform.uow(actor) as uow:
        done = _changed(
            uow.session,
            update(DemoHistoryMonth)
            .where(DemoHistoryMonth.period == month.period, DemoHistoryMonth.done_at.is_(None))
            .values(bills=bills, payments=paid, done_at=clock.now()),
        )
        if not done:  # another runner finished it meanwhile
            return
        remaining = uow.session.scalar(
            select(func.count())
            .select_from(DemoHistoryMonth)
            .where(DemoHistoryMonth.done_at.is_(None))
        )
        if not remaining:
            uow.session.execute(update(DemoHistory).values(finished_at=clock.now()))
        uow.audit(
            "demo.history.month",
            object_type="demo",
            object_id=month.period,
            note=f"period={month.period} bills={bills} payments={paid}",
        )
        uow.commit()
    advance("months", 1)


def _write_month_readings(
    platform: Platform,
    actor: Actor,
    month: DemoHistoryMonth,
    window: _Window,
    meters: list[MeterPlan],
    advance: Advance,
) -> None:
    # The same stream, from the same seed, as one uninterrupted draw of the window; blocks
    # an interrupted run committed are drawn again (to keep the stream) and skipped.
    rng = np.random.default_rng([window.seed, 3])
    calendar = profiles.make_calendar(window.last, (window.last - window.first).days + 1, rng)
    with platform.uow(actor, readonly=True) as uow:
        tou_ids = readings.tou_meter_ids(uow.session)
    through = month.readings_through
    pending: list[readings.Block] = []
    for block in readings.month_blocks(
        meters,
        calendar,
        rng,
        (month.first_day, month.last_day),
        tou_ids=tou_ids,
        iso_days=platform.settings.is_sqlite,
    ):
        if block.last_meter_id <= through:
            continue
        pending.append(block)
        if sum(len(b.rows) for b in pending) >= READINGS_PER_COMMIT:
            through = _commit_readings(platform, actor, month.period, through, pending, advance)
            pending = []
    _commit_readings(platform, actor, month.period, through, pending, advance, last=True)


def _commit_readings(
    platform: Platform,
    actor: Actor,
    period: str,
    through: int,
    blocks: list[readings.Block],
    advance: Advance,
    *,
    last: bool = False,
) -> int:
    """Write ``blocks`` and move the month's mark from ``through`` in one short transaction
    (the server's writers wait for it on SQLite); returns the new mark."""
    upto = blocks[-1].last_meter_id if blocks else through
    rows = sum(len(b.rows) for b in blocks)
    with platform.uow(actor) as uow:
        moved = _changed(
            uow.session,
            update(DemoHistoryMonth)
            .where(DemoHistoryMonth.period == period, DemoHistoryMonth.readings_through == through)
            .values(
                readings_through=upto,
                readings=DemoHistoryMonth.readings + rows,
                readings_at=clock.now() if last else None,
            ),
        )
        if not moved:
            raise HistoryTakenOverError(
                f"另一进程正在生成 {period} 的读数 / another process is writing the readings "
                f"of {period}"
            )
        conn = uow.session.connection()
        for block in blocks:
            readings.write_rows(conn, block.rows)
        uow.audit(
            "demo.history.readings",
            object_type="demo",
            object_id=period,
            note=f"period={period} meters={through + 1}..{upto} readings={rows}"
            + (" (month complete)" if last else ""),
        )
        uow.commit()
    advance("readings", rows)
    return upto


def _changed(session: Session, stmt: Update) -> int:
    """Rows a conditional UPDATE changed: 0 means another runner got there first."""
    result = cast(CursorResult[Any], session.execute(stmt))
    return int(result.rowcount)


def totals(platform: Platform) -> HistoryTotals:
    with platform.uow(Actor.system(ACTOR_NAME, channel="cli"), readonly=True) as uow:
        row = uow.session.execute(
            select(
                func.coalesce(func.sum(DemoHistoryMonth.readings), 0),
                func.coalesce(func.sum(DemoHistoryMonth.bills), 0),
                func.coalesce(func.sum(DemoHistoryMonth.payments), 0),
            )
        ).one()
    return HistoryTotals(int(row[0]), int(row[1]), int(row[2]))


def history_progress(session: Session) -> HistoryProgress | None:
    """The planned history's state, or None when this database has none (not a demo)."""
    plan = session.get(DemoHistory, 1)
    if plan is None:
        return None
    months = list(session.scalars(select(DemoHistoryMonth).order_by(DemoHistoryMonth.period)))
    current = next((m.period for m in months if m.done_at is None), None)
    return HistoryProgress(
        first_day=plan.first_day,
        last_day=plan.last_day,
        months=len(months),
        done=sum(m.done_at is not None for m in months),
        current=current,
        readings=sum(m.readings for m in months),
        bills=sum(m.bills for m in months),
        payments=sum(m.payments for m in months),
        finished=plan.finished_at is not None,
    )
