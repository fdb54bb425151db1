"""Captured online payments told to the risk engine (PAY-4, PAY-5; ADR 0010, ADR 0011):
the test-payment and pay-then-refund history, a case opened at once when a payment
completes a test-payment pattern (e.g. the third 0.01-yuan payment). Idempotent per
payment. One implementation for one payment or a batch: :func:`note_paid` is
:func:`note_paid_many` of one.

A batch is noted in order, with one existence query, one look at the history and one
multi-row insert for the common case — a note that completes no pattern (nothing but its
``paid`` row to write). It is planned against the history this unit of work sees plus the
payments planned before it in the same run, so a pattern that the batch itself completes
is noticed. A note that fires a rule (opens a case or suspends) ends the run: the run is
inserted, then that note is recorded with its decision and case (:func:`_fired`), and
planning starts again after it, seeing the case's suspension. An account the database
does not know sends the rest the same way, which raises where it must.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Table, insert, select

from safegrid.customers.models import Account
from safegrid.payments.risk import own_events
from safegrid.payments.risk.decide import Action, Outcome, RiskRequest
from safegrid.payments.risk.engine import (
    RiskDecision,
    insert_event,
    paid_rules_fired,
    persist,
    unit_of,
)
from safegrid.payments.risk.history import HotHistory, Paid, for_session, synced
from safegrid.payments.risk.history import Table as Series
from safegrid.payments.risk.models import EventKind, RiskEvent
from safegrid.payments.risk.own_events import Overlay
from safegrid.payments.risk.rules import active_rules
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

_EVENTS: Final[Table] = RiskEvent.__table__  # type: ignore[assignment]
Hook = Callable[[int], None]


@dataclasses.dataclass(frozen=True)
class PaidNote:
    """One captured online payment."""

    account_id: int
    amount: Decimal
    at: datetime
    payment_id: int


def note_paid(
    uow: UnitOfWork, account_id: int, amount: Decimal, at: datetime, payment_id: int
) -> RiskDecision | None:
    """One captured payment: a batch of one."""
    return note_paid_many(uow, [PaidNote(account_id, amount, at, payment_id)])[0]


def note_paid_many(
    uow: UnitOfWork,
    notes: Sequence[PaidNote],
    *,
    before_each: Hook | None = None,
    after_each: Hook | None = None,
) -> list[RiskDecision | None]:
    """The notes in order, inside the caller's unit of work; each one's decision (None:
    nothing fired, or noted before).

    ``before_each(i)`` runs before note ``i`` is recorded (the callback batch switches the
    actor there: ``recorded_by`` and a case's audit entries name the note's own caller);
    ``after_each(i)`` once note ``i`` is done, in order — so what a caller records after
    each note (its audit entry) interleaves with the notes exactly as one by one."""
    before = before_each or _nothing
    after = after_each or _nothing
    out: list[RiskDecision | None] = [None] * len(notes)
    if not notes:
        return out
    known = _noted(uow, notes)
    start = 0
    while start < len(notes):
        planned = _plan(uow, notes, start, known, before)
        if planned is None:  # an unknown account: one by one raises where it would
            for i in range(start, len(notes)):
                before(i)
                out[i] = _fired(uow, notes[i])
                after(i)
            return out
        rows, stop = planned
        _insert(uow, rows)
        for i in range(start, stop):
            after(i)
        if stop == len(notes):
            break
        # This note completes a pattern: the engine itself records it (case, suspension).
        before(stop)
        out[stop] = _fired(uow, notes[stop])
        known.add(notes[stop].payment_id)
        after(stop)
        start = stop + 1
    return out


def _nothing(_: int) -> None:
    return None


def _fired(uow: UnitOfWork, note: PaidNote) -> RiskDecision | None:
    """A note that completes a pattern (or whose account the history does not know yet),
    recorded on its own: its ``paid`` row, then the decision, case and suspension."""
    exists = uow.session.scalar(
        select(RiskEvent.id).where(RiskEvent.payment_id == note.payment_id),
        execution_options=unscoped("a payment is noted once, utility-wide"),
    )
    if exists is not None:
        return None
    hist = for_session(uow.session)
    with hist.lock:
        hist = synced(uow)
        rules = hist.rules or active_rules(uow)
        unit = unit_of(uow, hist, note.account_id)
        seen = own_events.view(uow.session, hist)
        req = RiskRequest("payment", note.account_id, note.amount, None, None, note.at)
        fired, suspend = paid_rules_fired(seen, rules, req, note.payment_id)
        already = seen.suspended_until(note.account_id, note.at.timestamp()) is not None
    event_id = insert_event(
        uow,
        {
            "kind": EventKind.PAID,
            "account_id": note.account_id,
            "amount": note.amount,
            "at": note.at,
            "payment_id": note.payment_id,
            "recorded_by": uow.actor.username,
            "org_unit_id": unit,
        },
    )
    if not fired or already:
        return None
    action: Action = "review" if any(f.action == "review" for f in fired) else "freeze"
    return persist(
        uow,
        req,
        Outcome(action, fired, suspend),
        rules,
        unit,
        kind=EventKind.PAID,
        event_id=event_id,
    )


def _noted(uow: UnitOfWork, notes: Sequence[PaidNote]) -> set[int]:
    """Payment ids of ``notes`` already in ``risk_events`` (one query for the batch)."""
    ids = sorted({n.payment_id for n in notes})
    return {
        int(pid)
        for pid in uow.session.scalars(
            select(RiskEvent.payment_id).where(RiskEvent.payment_id.in_(ids)),
            execution_options=unscoped("a payment is noted once, utility-wide"),
        ).all()
        if pid is not None
    }


def _plan(
    uow: UnitOfWork, notes: Sequence[PaidNote], start: int, known: set[int], before: Hook
) -> tuple[list[dict[str, Any]], int] | None:
    """The rows of notes ``start``, ``start + 1``… up to (not including) the first that
    fires a rule, and its position (``len(notes)`` if none does); None if an account is
    unknown. Under the history lock, taken once for the run."""
    hist = for_session(uow.session)
    with hist.lock:
        hist = synced(uow)
        rules = hist.rules or active_rules(uow)
        units = _units(
            uow, hist, {n.account_id for n in notes[start:] if n.payment_id not in known}
        )
        if units is None:
            return None
        run = _WithRun(own_events.view(uow.session, hist))
        rows: list[dict[str, Any]] = []
        for i in range(start, len(notes)):
            note = notes[i]
            if note.payment_id in known:
                continue  # noted before (or earlier in this batch): nothing to record
            req = RiskRequest("payment", note.account_id, note.amount, None, None, note.at)
            fired, _ = paid_rules_fired(run, rules, req, note.payment_id)
            if fired and run.suspended_until(note.account_id, note.at.timestamp()) is None:
                return rows, i
            before(i)
            known.add(note.payment_id)
            rows.append(
                {
                    "kind": EventKind.PAID,
                    "account_id": note.account_id,
                    "amount": note.amount,
                    "at": note.at,
                    "payment_id": note.payment_id,
                    "recorded_by": uow.actor.username,
                    "org_unit_id": units[note.account_id],
                }
            )
            run.add(note.account_id, Paid(note.at.timestamp(), note.amount, note.payment_id))
        return rows, len(notes)


def _units(uow: UnitOfWork, hist: HotHistory, accounts: set[int]) -> dict[int, int] | None:
    """Account → org unit (the history's cache, the missing ones in one query)."""
    missing = sorted(a for a in accounts if a not in hist.units)
    if missing:
        for acc, unit in uow.session.execute(
            select(Account.id, Account.org_unit_id).where(Account.id.in_(missing)),
            execution_options=unscoped("the paying accounts' units, to file events"),
        ).all():
            hist.units[int(acc)] = int(unit)
    if any(a not in hist.units for a in accounts):
        return None
    return {a: hist.units[a] for a in accounts}


def _insert(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """One multi-row insert (Core: no ORM bulk machinery), each row tracked so this unit
    of work's later decisions count it and its commit hands it to the shared history.
    (An executemany plus a lookup of the ids by ``payment_id`` measured the same.)"""
    if not rows:
        return
    ids = uow.session.execute(
        insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True),
        rows,
        execution_options=unscoped("risk events are written for every unit"),
    ).scalars()
    for event_id, values in zip(ids, rows, strict=True):  # tracked in note order
        own_events.track(uow.session, int(event_id), values)


class _WithRun:
    """What the unit of work sees plus the payments planned in the current run (not
    inserted yet): a later note of the same account counts them, as it would one by one."""

    def __init__(self, seen: HotHistory | Overlay) -> None:
        self.seen = seen
        self.paid: dict[int, list[Paid]] = {}

    def add(self, account_id: int, paid: Paid) -> None:
        self.paid.setdefault(account_id, []).append(paid)

    def velocity(self, table: Series, key: str | int, at: float, window: float) -> int:
        return self.seen.velocity(table, key, at, window)

    def paid_in(self, account_id: int, at: float, window: float) -> list[Paid]:
        found = self.seen.paid_in(account_id, at, window)
        extra = self.paid.get(account_id)
        if not extra:
            return found
        # The same bounds as HotHistory.paid_in / Overlay.paid_in: inside the window and
        # after the account's last lift.
        start = max(at - window, _cleared(self.seen, account_id))
        return sorted(found + [p for p in extra if start < p.at <= at])

    def suspension_sources(self, account_id: int) -> dict[str, float]:
        return self.seen.suspension_sources(account_id)

    def suspended_until(self, account_id: int, at: float) -> float | None:
        return self.seen.suspended_until(account_id, at)


def _cleared(seen: HotHistory | Overlay, account_id: int) -> float:
    parts = (seen.base, seen.own) if isinstance(seen, Overlay) else (seen,)
    return max(h.cleared.get(account_id, float("-inf")) for h in parts)
