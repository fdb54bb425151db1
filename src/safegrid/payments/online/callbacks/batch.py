"""Channel callbacks in batches (PAY-6, PAY-7; ADR 0010, ADR 0013).

Two halves of the one route from a channel to the ledger:

- the **batcher**: one thread per process takes whatever verified callbacks are waiting (up
  to ``callback_batch_max``) and hands them to the inbox's door in ONE transaction
  (:func:`safegrid.payments.online.callbacks.inbox.receive_batch`); every caller gets its
  own answer, and only after the commit returned — so ``success`` always means durably
  recorded. If the commit fails, every caller of the batch gets a 503 and the channel
  sends the callback again;
- :func:`apply_in`, what the inbox's applier runs on the rows it claimed: accounts locked
  in primary-key order across the batch and the audit entries chained at commit
  (:mod:`safegrid.security.audit_deferred`), so the chain head is the last lock taken; the
  payable callbacks captured set-based (``capture_many``) and their orders marked paid
  (``finish_paid_many``); repeats and refusals each in a savepoint of their own, so a
  refusal keeps its record and alert and the others go on. One that fails in an
  unexpected way is rolled back to its savepoint and retried alone — as a batch of one.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.customers.models import Account
from safegrid.payments.ledger.batch import capture_many
from safegrid.payments.online.callbacks.finish import finish_paid_many
from safegrid.payments.online.callbacks.verification import (
    PAY,
    capture_item,
    prepare_verified,
    verdict,
)
from safegrid.payments.online.channels import CallbackRejected, VerifiedCallback
from safegrid.payments.online.models import PaymentOrder
from safegrid.platform.batching import Batcher
from safegrid.platform.errors import SafeGridError
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork
from safegrid.security.scope import unscoped

log = logging.getLogger(__name__)

Answer = str | BaseException


class CallbackNotRecorded(SafeGridError):
    """The batch could not be committed: nothing of this callback was recorded."""

    status_code = 503


NOT_RECORDED = "回调未能入账，请稍后重发 / the callback was not recorded, send it again"


@dataclasses.dataclass(frozen=True)
class Callback:
    actor: Actor
    channel: str
    cb: VerifiedCallback
    # The fields as the channel sent them, signature included (kept by the inbox).
    signed: Mapping[str, str] | None = None


def _accounts(uow: DeferredAuditUnitOfWork, items: Sequence[Callback]) -> dict[str, int]:
    rows = uow.session.execute(
        select(PaymentOrder.order_no, PaymentOrder.account_id).where(
            PaymentOrder.order_no.in_(sorted({i.cb.order_no for i in items}))
        ),
        execution_options=unscoped("callbacks name orders of any unit"),
    ).all()
    return {str(no): int(acc) for no, acc in rows}


def _lock_orders(
    uow: DeferredAuditUnitOfWork, account_of: dict[str, int]
) -> dict[str, PaymentOrder]:
    """The batch's accounts locked in primary-key order, then its orders (the lock order of
    ``prepare_verified``), in two statements instead of three per callback."""
    if not account_of:
        return {}
    uow.session.execute(
        select(Account.id)
        .where(Account.id.in_(sorted(set(account_of.values()))))
        .order_by(Account.id)
        .with_for_update(),
        execution_options=unscoped("locking the paying accounts, in any unit"),
    ).all()
    orders = uow.session.scalars(
        select(PaymentOrder)
        .where(PaymentOrder.order_no.in_(sorted(account_of)))
        .order_by(PaymentOrder.id)
        .with_for_update()
        .execution_options(populate_existing=True),
        execution_options=unscoped("locking the paid orders, in any unit"),
    ).all()
    return {o.order_no: o for o in orders}


def refuse_alone(platform: Platform, item: Callback) -> Answer:
    """A callback the door will not take, in a transaction of its own: its refusal is
    recorded (and raised to the channel), or it turns out to be a repeat (``success``). One
    that became payable in between (a race with the door's unlocked read) is not taken
    here — the ledger is reached only through the inbox: the channel hears 503 and sends it
    again, and the door takes it then."""
    uow = DeferredAuditUnitOfWork(platform.session_factory, item.actor)
    try:
        with uow:
            try:
                prepared = prepare_verified(uow, item.channel, item.cb)
            except CallbackRejected as exc:
                uow.commit()
                return exc
            if isinstance(prepared, PaymentOrder):
                return CallbackNotRecorded(NOT_RECORDED)
            return prepared
    except BaseException as exc:  # handed to the caller, not swallowed
        return exc


def apply_in(
    uow: DeferredAuditUnitOfWork, items: Sequence[Callback]
) -> tuple[list[Answer | None], list[int]]:
    """``items`` applied inside ``uow`` (no commit): each one's answer, and the positions
    that failed unexpectedly and are to be retried alone after the commit (answer None).

    Three steps: the batch's accounts and orders locked (two statements) and each callback
    compared with its order (:func:`verdict`) — repeats and refusals go the one-by-one way
    in their own savepoint, so a refusal keeps its record; the payments of all the others
    captured together (``capture_many``) and their orders marked paid, in one savepoint;
    then callbacks for an order already taken earlier in this batch, one by one (they see
    its capture: a repeat, or a refusal)."""
    answers: list[Answer | None] = [None] * len(items)
    retry: list[int] = []
    account_of = _accounts(uow, items)
    # Account locks in primary-key order (unknown orders lock nothing: last).
    order = sorted(
        range(len(items)), key=lambda i: (account_of.get(items[i].cb.order_no, 1 << 62), i)
    )
    to_capture: list[tuple[int, PaymentOrder]] = []
    claimed: set[str] = set()
    later: list[int] = []
    locked = _lock_orders(uow, account_of)
    for i in order:
        cb = items[i].cb
        found = locked.get(cb.order_no)
        if cb.order_no in claimed:
            later.append(i)
        elif found is not None and verdict(found, cb, items[i].channel) == PAY:
            to_capture.append((i, found))  # the common case: nothing to record yet
            claimed.add(cb.order_no)
        else:  # a repeat or a refusal (recorded): the one-by-one path
            prepared = _isolated(uow, items[i], answers, retry, i, prepare_verified)
            if isinstance(prepared, PaymentOrder):
                to_capture.append((i, prepared))
                claimed.add(items[i].cb.order_no)
    _capture_all(uow, items, to_capture, answers, retry)
    for i in later:
        if isinstance(_isolated(uow, items[i], answers, retry, i, prepare_verified), PaymentOrder):
            retry.append(i)  # its order's capture did not happen: alone, after the commit
    return answers, retry


Step = Callable[[DeferredAuditUnitOfWork, str, VerifiedCallback], PaymentOrder | str]


def _isolated(
    uow: DeferredAuditUnitOfWork,
    item: Callback,
    answers: list[Answer | None],
    retry: list[int],
    i: int,
    step: Step,
) -> PaymentOrder | None:
    """``step`` for one callback in its own savepoint: its answer, or the order it wants
    captured; a refusal keeps its record, an unexpected failure is retried alone."""
    uow.act_as(item.actor)
    mark = uow.mark()
    try:
        with uow.session.begin_nested():
            try:
                done = step(uow, item.channel, item.cb)
            except CallbackRejected as exc:
                answers[i] = exc  # its refusal is recorded: keep the savepoint
                return None
    except Exception:  # rolled back to its savepoint, retried alone
        log.debug("callback %s retried alone", item.cb.trade_no, exc_info=True)
        uow.rewind(mark)
        retry.append(i)
        return None
    if isinstance(done, PaymentOrder):
        return done
    answers[i] = done
    return None


def _capture_all(
    uow: DeferredAuditUnitOfWork,
    items: Sequence[Callback],
    to_capture: list[tuple[int, PaymentOrder]],
    answers: list[Answer | None],
    retry: list[int],
) -> None:
    """One set-based capture for the batch, then each order marked paid (risk history,
    audit). Anything unexpected rolls all of it back: those callbacks are retried alone."""
    if not to_capture:
        return
    mark = uow.mark()
    try:
        with uow.session.begin_nested():
            results = capture_many(
                uow,
                [capture_item(o, items[i].cb, items[i].channel) for i, o in to_capture],
                # Each capture's audit entries name its own callback's caller.
                before_each=lambda k: uow.act_as(items[to_capture[k][0]].actor),
            )
            # Refused by the ledger (nothing written): alone, each gets its answer.
            retry.extend(
                i for (i, _), r in zip(to_capture, results, strict=True) if isinstance(r, Exception)
            )
            paid = [
                (i, order, result)
                for (i, order), result in zip(to_capture, results, strict=True)
                if not isinstance(result, Exception)
            ]
            acks = finish_paid_many(
                uow,
                [(order, items[i].cb, result) for i, order, result in paid],
                # Each order's risk event and audit entry name its own callback's caller.
                before_each=lambda k: uow.act_as(items[paid[k][0]].actor),
            )
            done = [(i, ack) for (i, _, _), ack in zip(paid, acks, strict=True)]
    except Exception:
        log.warning("batch capture of %d retried one by one", len(to_capture), exc_info=True)
        uow.rewind(mark)
        retry.extend(i for i, _ in to_capture if i not in retry)
        return
    for i, answer in done:
        answers[i] = answer


BatchFn = Callable[[Platform, Sequence[Callback]], list[Answer]]


def _not_recorded(_exc: BaseException) -> Answer:
    return CallbackNotRecorded(NOT_RECORDED)


class CallbackBatcher(Batcher[Platform, Callback, Answer]):
    """One thread per process handing queued callbacks to ``work`` (the inbox's door) in
    batches of up to ``max_size``; if a batch fails, each of its callers hears "not
    recorded" and the channel sends again."""

    def __init__(self, max_size: int, work: BatchFn, linger: float = 0.0) -> None:
        super().__init__("callback-batcher", max_size, work, _not_recorded, linger)


_batchers: dict[tuple[int, BatchFn], CallbackBatcher] = {}
_lock = threading.Lock()


def batcher(max_size: int, work: BatchFn, linger: float = 0.0) -> CallbackBatcher:
    with _lock:
        found = _batchers.get((max_size, work))
        if found is None:
            found = _batchers[(max_size, work)] = CallbackBatcher(max_size, work, linger)
        return found


def answer_or_raise(answer: Any) -> str:
    if isinstance(answer, BaseException):
        raise answer
    return str(answer)
