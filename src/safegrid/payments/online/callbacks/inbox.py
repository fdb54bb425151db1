"""The durable callback inbox's door (PAY-6, PAY-7; ADR 0013): acknowledge a callback once
it is committed, and let the applier (:mod:`safegrid.payments.online.callbacks.applier`) put it into
the ledger behind.

The route has already checked the channel's signature; here every callback of the batch
(the process's callback batcher thread hands it over) is compared with its order (one
query; the rule is :func:`~safegrid.payments.online.callbacks.verification.verdict`),
and the ones that are payable are committed as inbox rows — unique by trade number and by
order, so a repeat finds its row and a second trade for an order is refused — in ONE
transaction with one audit entry. Only after that commit does the channel hear
``success``: an acknowledged callback survives any crash. Callbacks that are not payable
(unknown order, amount differs, not successful, order closed) take the one-by-one path,
which records the refusal (and the tamper alert) and answers 4xx. Nothing here touches
the ledger: the inbox is the one way to it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.payments.online.callbacks import wakeup
from safegrid.payments.online.callbacks.applier import applier
from safegrid.payments.online.callbacks.batch import (
    NOT_RECORDED,
    Answer,
    Callback,
    CallbackNotRecorded,
    refuse_alone,
)
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.payments.online.callbacks.verification import (
    PAY,
    REPEAT,
    refuse_order_taken,
    verdict,
)
from safegrid.payments.online.channels import ACK
from safegrid.payments.online.models import PaymentOrder
from safegrid.payments.online.settings import get_channel_settings
from safegrid.platform import clock
from safegrid.platform.sql_dialect import insert_skipping_conflicts
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork
from safegrid.security.scope import unscoped

log = logging.getLogger(__name__)


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
                execution_options=unscoped("callbacks name orders of any unit"),
            )
        }
        by_trade: dict[str, list[int]] = {}
        rows: list[dict[str, Any]] = []
        now = clock.now()
        for i, item in enumerate(items):
            cb, o = item.cb, orders.get(item.cb.order_no)
            found = verdict(o, cb, item.channel)
            if found == REPEAT:
                answers[i] = ACK  # a repeat of the trade that paid it
            elif found != PAY or o is None:
                alone.append(i)  # refused, with its record, by the one-by-one path
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
            wakeup.announce(session)
            uow.audit(
                "payment.callbacks_received",
                object_type="payment_callback_inbox",
                object_id=str(len(taken)),
                after={"trade_nos": sorted(taken)},
            )
        if uow.pending_entries:
            uow.commit()
    for i in alone:
        answers[i] = refuse_alone(platform, items[i])
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
            execution_options=unscoped("trade numbers are unique per channel, utility-wide"),
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


def receive_and_wake(platform: Platform, items: Sequence[Callback]) -> list[Answer]:
    """The batcher's work at the door: receive, then wake the applier — this process's
    thread when it is the one that applies (see ``inbox_applier``), else the applier
    process (:mod:`~safegrid.payments.online.callbacks.wakeup`)."""
    answers = receive_batch(platform, items)
    if get_channel_settings().inbox_applier == "thread":
        applier.wake(platform)
    elif any(a == ACK for a in answers):
        wakeup.poke(platform)  # SQLite: the applier process (PostgreSQL: NOTIFY did it)
    return answers
