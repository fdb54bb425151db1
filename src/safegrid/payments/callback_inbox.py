"""The durable callback inbox (PAY-6, PAY-7; ADR 0013): acknowledge at the door, apply
to the ledger in large batches behind it.

**The door** (:func:`receive_batch`, run by the process's callback batcher thread): the
route has already checked the RSA2 signature; here every callback of the batch is
compared with its order (one query), and the ones that are payable are committed as
inbox rows — unique by trade number and by order, so a repeat finds its row and a second
trade for an order is refused — in ONE transaction with one audit entry. Only after that
commit does the channel hear ``success``: an acknowledged callback survives any crash.
Callbacks that are not payable (unknown order, amount differs, not successful, order
closed) take the one-by-one path, which records the refusal (and the tamper alert) and
answers 4xx, exactly as before the inbox.

**The applier** (:func:`apply_pending`, run by :class:`InboxApplier`, a thread per server
process woken after each door commit): claims up to ``callback_apply_batch`` pending rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two processes share the work; SQLite
serialises writers) and applies them with the batch capture of ADR 0010, marking each row
applied or refused in the same transaction. Applying is idempotent (ledger key
``online:<trade_no>``, the order's own status), so a crash between anything and anything
costs a second look, never a second payment. A row that fails unexpectedly
``MAX_ATTEMPTS`` times stops being claimed and waits for a person (it is listed by
``safegrid payments inbox``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, update

from safegrid.bootstrap import Platform
from safegrid.payments.callback_batch import (
    NOT_RECORDED,
    Answer,
    Callback,
    CallbackNotRecorded,
    apply_in,
)
from safegrid.payments.channel_settings import get_channel_settings
from safegrid.payments.channels import TRADE_SUCCESS, CallbackRejected, VerifiedCallback
from safegrid.payments.deferred_audit import DeferredAuditUnitOfWork
from safegrid.payments.inbox_models import CallbackInbox, InboxState
from safegrid.payments.online_callbacks import ACK, apply_verified, refuse_order_taken
from safegrid.payments.online_models import OrderStatus, PaymentOrder
from safegrid.platform import clock
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.security.actor import Actor
from safegrid.security.scope import SKIP_SCOPE

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_ALL = {SKIP_SCOPE: True}


@functools.cache
def _channel(channel: str) -> Actor:
    return Actor.system(f"channel:{channel}", "api")


def channel_actor(channel: str, ip: str | None) -> Actor:
    """Who a callback's changes are by: the channel, from the address it called from."""
    return dataclasses.replace(_channel(channel), ip=ip)


# --------------------------------------------------------------------------- the door


def receive_batch(platform: Platform, items: Sequence[Callback]) -> list[Answer]:
    """Commit the payable callbacks of ``items`` to the inbox (one transaction) and answer
    each: ``success`` once its row (or an earlier row of the same trade) is committed; the
    others go the one-by-one way after the commit, which records their refusal."""
    if not items:
        return []
    answers: list[Answer | None] = [None] * len(items)
    alone: list[int] = []
    uow = DeferredAuditUnitOfWork(platform.session_factory, items[0].actor)
    with uow:
        session = uow.session
        orders = {
            o.order_no: o
            for o in session.execute(
                select(
                    PaymentOrder.id,
                    PaymentOrder.order_no,
                    PaymentOrder.channel,
                    PaymentOrder.amount,
                    PaymentOrder.status,
                    PaymentOrder.trade_no,
                    PaymentOrder.org_unit_id,
                ).where(PaymentOrder.order_no.in_(sorted({i.cb.order_no for i in items}))),
                execution_options=_ALL,
            )
        }
        by_trade: dict[str, list[int]] = {}
        rows: list[dict[str, Any]] = []
        now = clock.now()
        for i, item in enumerate(items):
            cb, o = item.cb, orders.get(item.cb.order_no)
            if (
                o is None
                or o.channel != item.channel
                or cb.trade_status != TRADE_SUCCESS
                or cb.amount != o.amount
                or o.status == OrderStatus.REJECTED
            ):
                alone.append(i)  # refused, with its record, by the one-by-one path
            elif o.status == OrderStatus.PAID:
                if o.trade_no == cb.trade_no:
                    answers[i] = ACK  # a repeat of the trade that paid it
                else:
                    alone.append(i)  # another trade for a paid order: refused (409)
            elif cb.trade_no in by_trade:
                by_trade[cb.trade_no].append(i)  # the same callback twice in one batch
            else:
                by_trade[cb.trade_no] = [i]
                rows.append(
                    {
                        "channel": item.channel,
                        "trade_no": cb.trade_no,
                        "order_no": cb.order_no,
                        "order_id": o.id,
                        "amount": cb.amount,
                        "signed": json.dumps(dict(item.signed or {}), sort_keys=True),
                        "caller_ip": item.actor.ip,
                        "received_at": now,
                        "state": InboxState.PENDING,
                        "attempts": 0,
                        "org_unit_id": o.org_unit_id,
                    }
                )
        taken: set[str] = set()
        if rows:
            stmt = insert_skipping_conflicts(
                CallbackInbox.__table__, session.get_bind().dialect.name
            ).returning(CallbackInbox.__table__.c.trade_no)
            taken = {str(t) for t in session.execute(stmt, rows).scalars()}
        for trade_no, positions in by_trade.items():
            if trade_no in taken:
                for i in positions:
                    answers[i] = ACK
        _conflicts(uow, items, by_trade, taken, orders, answers)
        if taken:
            uow.audit(
                "payment.callbacks_received",
                object_type="payment_callback_inbox",
                object_id=str(len(taken)),
                after={"trade_nos": sorted(taken)},
            )
        if uow.pending_entries:
            uow.commit()
    for i in alone:
        answers[i] = _refuse_alone(platform, items[i])
    return [a if a is not None else CallbackNotRecorded(NOT_RECORDED) for a in answers]


def _conflicts(
    uow: DeferredAuditUnitOfWork,
    items: Sequence[Callback],
    by_trade: dict[str, list[int]],
    taken: set[str],
    orders: dict[str, Any],
    answers: list[Answer | None],
) -> None:
    """Rows the insert skipped: a repeat of a trade already in the inbox answers
    ``success``; a different trade for an order the inbox already holds is refused."""
    skipped = [t for t in by_trade if t not in taken]
    if not skipped:
        return
    found = {
        str(t): str(o)
        for t, o in uow.session.execute(
            select(CallbackInbox.trade_no, CallbackInbox.order_no).where(
                CallbackInbox.trade_no.in_(skipped)
            ),
            execution_options=_ALL,
        )
    }
    for trade_no in skipped:
        positions = by_trade[trade_no]
        cb = items[positions[0]].cb
        if found.get(trade_no) == cb.order_no:
            for i in positions:
                answers[i] = ACK
            continue
        uow.act_as(items[positions[0]].actor)
        refused = refuse_order_taken(uow, cb.order_no, orders[cb.order_no].org_unit_id)
        for i in positions:
            answers[i] = refused


def _refuse_alone(platform: Platform, item: Callback) -> Answer:
    """A callback the door will not take, through the one-transaction path (which records
    the refusal, and answers ``success`` for a repeat that raced the check above)."""
    uow = DeferredAuditUnitOfWork(platform.session_factory, item.actor)
    try:
        with uow:
            try:
                answer = apply_verified(uow, item.channel, item.cb)
            except CallbackRejected as exc:
                uow.commit()
                return exc
            uow.commit()
            return answer
    except BaseException as exc:  # handed to the caller, not swallowed
        return exc


# ------------------------------------------------------------------------ the applier


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
        execution_options=_ALL,
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
    values = []
    for row_id, answer in done:
        outcome = None
        if isinstance(answer, CallbackRejected):
            outcome = f"{answer.reason}: {answer.message}"[:500]
        values.append(
            {
                "id": row_id,
                "state": InboxState.APPLIED if outcome is None else InboxState.REFUSED,
                "applied_at": at,
                "outcome": outcome,
            }
        )
    if values:
        uow.session.execute(update(CallbackInbox), values, execution_options=_ALL)


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
    """A row the batch could not take, in its own transaction; an unexpected failure
    counts an attempt (the row is claimed again later, up to MAX_ATTEMPTS)."""
    uow = DeferredAuditUnitOfWork(platform.session_factory, item.actor)
    try:
        with uow:
            answer: Answer
            try:
                answer = apply_verified(uow, item.channel, item.cb)
            except CallbackRejected as exc:
                answer = exc
            _mark(uow, [(row.id, answer)], clock.now())
            uow.commit()
    except Exception as exc:
        log.exception("inbox row %s (trade %s) not applied", row.id, row.trade_no)
        t = CallbackInbox.__table__.c
        with platform.engine.begin() as conn:
            conn.execute(
                update(CallbackInbox)
                .where(t.id == row.id)
                .values(attempts=t.attempts + 1, outcome=f"error: {exc!r}"[:500])
            )


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


def follow(platform: Platform, stop: threading.Event, *, idle: float = 0.05) -> int:
    """The applier process's loop (``safegrid payments inbox apply --follow``): apply while
    there is work, look again every ``idle`` seconds when there is none; returns how many
    rows it applied when ``stop`` is set."""
    total = 0
    while not stop.is_set():
        try:
            n = apply_pending(platform)
        except Exception:  # the database went away for a moment: try again shortly
            log.exception("callback inbox not applied")
            n = 0
            stop.wait(1.0)
        total += n
        if n == 0:
            stop.wait(idle)
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


def receive_and_wake(platform: Platform, items: Sequence[Callback]) -> list[Answer]:
    """The batcher's work at the door: receive, then wake this process's applier thread
    (when this process is the one that applies; see ``inbox_applier``)."""
    answers = receive_batch(platform, items)
    if get_channel_settings().inbox_applier == "thread":
        applier.wake(platform)
    return answers
