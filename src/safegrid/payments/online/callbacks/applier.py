"""The durable callback inbox's applier (PAY-7; ADR 0013): put acknowledged callbacks into
the ledger, in large batches.

:func:`apply_pending` claims up to ``callback_apply_batch`` pending rows (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so two processes share the work; SQLite serialises writers) and
applies them with the batch capture of ADR 0010, marking each row applied or refused in
the same transaction. Applying is idempotent (ledger key ``online:<trade_no>``, the order's
own status), so a crash between anything and anything costs a second look, never a second
payment. A row that fails unexpectedly ``MAX_ATTEMPTS`` times stops being claimed and waits
for a person (``safegrid payments inbox status``).

Who runs it: the process ``safegrid serve`` starts (:mod:`safegrid.payments.online.callbacks.process`
runs :func:`follow`), or :class:`InboxApplier`, a thread in each receiving process.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select, update

from safegrid.bootstrap import Platform
from safegrid.payments.online.callbacks import wakeup
from safegrid.payments.online.callbacks.batch import (
    Answer,
    Callback,
    apply_in,
)
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.payments.online.channels import TRADE_SUCCESS, CallbackRejected, VerifiedCallback
from safegrid.payments.online.registry import entry
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork
from safegrid.security.scope import unscoped

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def channel_actor(channel: str, ip: str | None) -> Actor:
    """Who a callback's changes are by: the channel, from the address it called from."""
    return dataclasses.replace(entry(channel).actor, ip=ip)


@dataclasses.dataclass(frozen=True)
class _Row:
    id: int
    channel: str
    trade_no: str
    order_no: str
    amount: Decimal
    caller_ip: str | None
    signed: str


def _claim(uow: DeferredAuditUnitOfWork, limit: int) -> list[_Row]:
    rows = uow.session.execute(
        select(
            CallbackInbox.id,
            CallbackInbox.channel,
            CallbackInbox.trade_no,
            CallbackInbox.order_no,
            CallbackInbox.amount,
            CallbackInbox.caller_ip,
            CallbackInbox.signed,
        )
        .where(CallbackInbox.state == InboxState.PENDING, CallbackInbox.attempts < MAX_ATTEMPTS)
        .order_by(CallbackInbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True),
        execution_options=unscoped("channel callbacks belong to no staff scope"),
    ).all()
    return [_Row(*r) for r in rows]


def _item(row: _Row) -> Callback:
    signed = json.loads(row.signed)
    return Callback(
        channel_actor(row.channel, row.caller_ip),
        row.channel,
        VerifiedCallback(
            merchant_id=str(signed.get("merchant_id", "")),
            order_no=row.order_no,
            trade_no=row.trade_no,
            amount=row.amount,
            trade_status=TRADE_SUCCESS,  # only successful trades are let in
        ),
    )


def _mark(uow: DeferredAuditUnitOfWork, done: list[tuple[int, Answer]], at: datetime) -> None:
    """The batch's rows marked: the applied ones (nearly all) in ONE statement by id, the
    refused ones with their reason each (an executemany by primary key cost a statement
    per row)."""
    applied = [row_id for row_id, answer in done if not isinstance(answer, CallbackRejected)]
    refused = [
        {"id": row_id, "outcome": f"{answer.reason}: {answer.message}"[:500]}
        for row_id, answer in done
        if isinstance(answer, CallbackRejected)
    ]
    options = unscoped("the applier works for every org unit")
    if applied:
        uow.session.execute(
            update(CallbackInbox)
            .where(CallbackInbox.id.in_(applied))
            .values(state=InboxState.APPLIED, applied_at=at, outcome=None),
            execution_options={**options, "synchronize_session": False},
        )
    if refused:
        uow.session.execute(
            update(CallbackInbox),
            [{**r, "state": InboxState.REFUSED, "applied_at": at} for r in refused],
            execution_options=options,
        )


def apply_pending(platform: Platform, limit: int | None = None) -> int:
    """Apply up to ``limit`` claimable rows; returns how many were claimed (0: none
    claimable now — the inbox is empty or another process holds the rest)."""
    limit = limit or get_channel_settings().callback_apply_batch
    uow = DeferredAuditUnitOfWork(platform.session_factory, Actor.system("payments.inbox"))
    with uow:
        rows = _claim(uow, limit)
        if not rows:
            return 0
        items = [_item(r) for r in rows]
        answers, retry = apply_in(uow, items)
        later = set(retry)
        done = [
            (r.id, a)
            for k, (r, a) in enumerate(zip(rows, answers, strict=True))
            if k not in later and a is not None
        ]
        _mark(uow, done, clock.now())
        uow.act_as(Actor.system("payments.inbox"))
        uow.audit(
            "payment.inbox_applied",
            object_type="payment_callback_inbox",
            object_id=f"{rows[0].id}-{rows[-1].id}",
            after={
                "applied": sum(1 for _, a in done if not isinstance(a, CallbackRejected)),
                "refused": sum(1 for _, a in done if isinstance(a, CallbackRejected)),
                "retried": len(later),
            },
        )
        uow.commit()
    for k in sorted(later):
        _apply_alone(platform, rows[k], items[k])
    return len(rows)


def _apply_alone(platform: Platform, row: _Row, item: Callback) -> None:
    """A row the batch could not take, in its own transaction — the same path as a batch
    of one; an unexpected failure counts an attempt (the row is claimed again later, up
    to MAX_ATTEMPTS)."""
    uow = DeferredAuditUnitOfWork(platform.session_factory, item.actor)
    try:
        with uow:
            (answer,), retry = apply_in(uow, [item])
            if retry or answer is None:
                raise RuntimeError("the callback failed again on its own")
            _mark(uow, [(row.id, answer)], clock.now())
            uow.commit()
    except Exception as exc:
        log.exception("inbox row %s (trade %s) not applied", row.id, row.trade_no)
        do_count_failure(platform.uow(Actor.system("payments.inbox")), row.id, exc)


def do_count_failure(uow: UnitOfWork, row_id: int, exc: BaseException) -> None:
    """An inbox row that failed unexpectedly: one more attempt counted, with its error, and
    audited — finance sees who (the applier) changed the row and why, and the entry that
    makes it stuck (``MAX_ATTEMPTS``) says so."""
    with uow:
        row = uow.session.scalars(
            select(CallbackInbox).where(CallbackInbox.id == row_id).with_for_update(),
            execution_options=unscoped("the applier works for every org unit"),
        ).first()
        if row is None or row.state != InboxState.PENDING:
            return  # applied or refused meanwhile (by another applier): nothing to count
        before = {"attempts": row.attempts, "outcome": row.outcome}
        row.attempts += 1
        row.outcome = f"error: {exc!r}"[:500]
        uow.audit(
            "payment.inbox_failed",
            object_type="payment_callback_inbox",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            before=before,
            after={
                "attempts": row.attempts,
                "outcome": row.outcome,
                "trade_no": row.trade_no,
                "stuck": row.attempts >= MAX_ATTEMPTS,
            },
        )
        uow.commit()


def pending_count(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(CallbackInbox.__table__)
                .where(CallbackInbox.__table__.c.state == InboxState.PENDING.value)
                .where(CallbackInbox.__table__.c.attempts < MAX_ATTEMPTS)
            ).scalar_one()
        )


def wait_applied(platform: Platform, *, timeout: float = 60.0) -> None:
    """Until another process (the server's applier) has applied every claimable row;
    raises TimeoutError (benchmarks and tests that watch a running server)."""
    deadline = time.monotonic() + timeout
    while (left := pending_count(platform)) > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{left} acknowledged callbacks still not applied")
        time.sleep(0.05)


def drain(platform: Platform, *, timeout: float = 60.0) -> int:
    """Apply until nothing claimable is pending (rows another process is applying are
    waited for); returns how many this call applied. Raises TimeoutError."""
    deadline = time.monotonic() + timeout
    total = 0
    while True:
        n = apply_pending(platform)
        total += n
        if n == 0:
            if pending_count(platform) == 0:
                return total
            if time.monotonic() > deadline:
                raise TimeoutError("callback inbox not drained in time")
            time.sleep(0.02)


class InboxApplier:
    """A thread per process applying the inbox whenever the door committed something;
    when idle it looks again every ``idle_seconds`` (rows a crashed process left)."""

    def __init__(self, idle_seconds: float = 30.0) -> None:
        self.idle_seconds = idle_seconds
        self._cv = threading.Condition()
        self._wanted: dict[int, Platform] = {}
        self._known: dict[int, Platform] = {}
        self._thread: threading.Thread | None = None

    def wake(self, platform: Platform) -> None:
        with self._cv:
            self._wanted[id(platform)] = platform
            self._known[id(platform)] = platform
            self._cv.notify()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inbox-applier", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cv:
                if not self._wanted:
                    self._cv.wait(self.idle_seconds)
                platforms = list((self._wanted or self._known).values())
                self._wanted.clear()
            for p in platforms:
                try:
                    while apply_pending(p):
                        pass
                except Exception:  # e.g. a platform that was shut down: forget it
                    log.exception("callback inbox not applied")
                    with self._cv:
                        self._known.pop(id(p), None)


applier = InboxApplier()


def follow(platform: Platform, stop: threading.Event, *, idle: float | None = None) -> int:
    """The applier process's loop (``safegrid payments inbox apply --follow``): apply while
    there is work, then sleep until the door wakes it (:mod:`.wakeup`) or ``idle`` seconds
    pass (``inbox_idle_poll_seconds``); returns how many rows it applied when ``stop`` is
    set (setting it also ends the sleep)."""
    idle = get_channel_settings().inbox_idle_poll_seconds if idle is None else idle
    total = 0
    current: list[wakeup.Waiter] = []

    def interrupt_when_stopped() -> None:
        stop.wait()
        for waiter in current:
            waiter.interrupt()

    threading.Thread(target=interrupt_when_stopped, name="inbox-stop", daemon=True).start()
    while not stop.is_set():
        try:
            with wakeup.Waiter(platform) as waiter:
                current[:] = [waiter]
                while not stop.is_set():
                    n = apply_pending(platform)
                    total += n
                    if n == 0:
                        waiter.wait(idle)
        except Exception:  # the database went away for a moment: listen again shortly
            log.exception("callback inbox not applied")
            stop.wait(1.0)
    return total


@dataclasses.dataclass(frozen=True)
class InboxStatus:
    pending: int
    applied: int
    refused: int
    stuck: int  # failed MAX_ATTEMPTS times: no longer claimed, a person must look
    oldest_pending: datetime | None


def status(platform: Platform) -> InboxStatus:
    t = CallbackInbox.__table__.c
    stuck = case((t.attempts >= MAX_ATTEMPTS, 1), else_=0)
    with platform.engine.connect() as conn:
        counts = {
            (str(state), bool(is_stuck)): int(n)
            for state, is_stuck, n in conn.execute(
                select(t.state, stuck, func.count()).group_by(t.state, stuck)
            )
        }
        oldest = conn.execute(
            select(func.min(t.received_at)).where(t.state == InboxState.PENDING.value)
        ).scalar_one()

    def total(state: InboxState, stuck: bool | None = None) -> int:
        return sum(n for (st, s), n in counts.items() if st == state.value and stuck in (None, s))

    return InboxStatus(
        pending=total(InboxState.PENDING, False),
        applied=total(InboxState.APPLIED),
        refused=total(InboxState.REFUSED),
        stuck=total(InboxState.PENDING, True),
        oldest_pending=oldest,
    )
