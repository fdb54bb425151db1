"""Queue operations committed in groups (HALL-2; ADR 0045).

A province's halls take, call, complete and rate hundreds of times a second. Each in a
transaction of its own paid a connection checkout, BEGIN, the audit chain's head row (its
lock held to the commit, so every writer of the utility queued on it) and a durable
commit. Here every queue operation of a process goes to one thread (``platform.batching``),
which runs what has queued meanwhile in ONE transaction: the operations in lock order
(takes by hall, calls by window, then tickets by id, so two processes' batches take their
row locks in the same order), each as its own caller (actor and row scope switched
between them), their hall events and outbox rows stored with one INSERT each
(:func:`safegrid.hall.store.store_batched`) and their audit entries chained once at the
commit (:mod:`safegrid.security.audit_deferred`). Each caller hears its answer only after that
commit returned.

If any operation of a batch is refused or fails, the batch is rolled back and each of its
operations runs again alone, as a batch of one — so a refusal costs its neighbours one
retry, never a change, and every answer is the one the operation would have had alone.
A queue operation that runs alone (the command line, a test, a quiet hall) takes the same
path with a batch of one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast

from sqlalchemy.orm import sessionmaker

from safegrid.bootstrap import get_platform
from safegrid.hall import store
from safegrid.platform.batching import Batcher
from safegrid.platform.uow import UnitOfWork
from safegrid.security.actor import Actor
from safegrid.security.audit_deferred import DeferredAuditUnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 32

# Lock order ranks: a batch runs its takes first (counter rows, by hall and type), then
# its calls (window rows, by id), then its ticket changes (ticket rows, by id).
TAKE, CALL, TICKET = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class Job(Generic[T]):
    """A queue operation: where it sorts in a batch, and what it does inside one."""

    order: tuple[Any, ...]
    run: Callable[[UnitOfWork], T]


@dataclasses.dataclass(frozen=True)
class Operation:
    """A job as one caller asked for it."""

    actor: Actor
    run: Callable[[UnitOfWork], Any]
    order: tuple[Any, ...]

    @classmethod
    def of(cls, actor: Actor, job: Job[Any]) -> Operation:
        return cls(actor, job.run, job.order)


Factory = sessionmaker[Any]


def _in_one(factory: Factory, ops: Sequence[Operation]) -> list[Any]:
    """``ops`` in one transaction, in lock order; raises what any of them raised."""
    answers: list[Any] = [None] * len(ops)
    order = sorted(range(len(ops)), key=lambda i: ops[i].order)
    uow = DeferredAuditUnitOfWork(factory, ops[order[0]].actor)
    with uow:
        uow.session.info[store.BATCHED] = []
        for i in order:
            uow.act_as(ops[i].actor)
            answers[i] = ops[i].run(uow)
        store.store_batched(uow)
        # Each change a queue operation makes is audited; one that recorded nothing
        # changed nothing (a call-next with nobody waiting ran a claim that matched no
        # row), and a batch of only such is rolled back rather than committed.
        if uow.pending_entries:
            uow.commit()
    return answers


def _alone(factory: Factory, op: Operation) -> Any:
    try:
        return _in_one(factory, [op])[0]
    except Exception as exc:  # the caller's answer: raised in its own thread
        return exc


def apply(factory: Factory, ops: Sequence[Operation]) -> list[Any]:
    """One answer per operation: what it returned, or the exception it raised."""
    if len(ops) > 1:
        try:
            return _in_one(factory, ops)
        except Exception:
            log.debug("hall batch of %d retried one by one", len(ops), exc_info=True)
    return [_alone(factory, op) for op in ops]


def _failed(exc: BaseException) -> Any:
    return exc


BATCHER: Batcher[Factory, Operation, Any] = Batcher("hall-queue", MAX_BATCH, apply, _failed)


def _submit(uow: UnitOfWork, job: Job[T]) -> concurrent.futures.Future[Any]:
    # The process's setting (a process serves one database but tests; the last one set
    # wins, and only the wait changes, never an answer).
    BATCHER.linger = get_platform().settings.hall_batch_linger_ms / 1000
    return BATCHER.submit(uow.session_factory, Operation.of(uow.actor, job))


def _answered(answer: Any) -> Any:
    if isinstance(answer, BaseException):
        raise answer
    return answer


def run(uow: UnitOfWork, job: Job[T]) -> T:
    """``job`` as ``uow``'s actor, committed with whatever else the process's queue is
    doing: its answer once committed, or its refusal raised (a worker thread, the CLI)."""
    return cast(T, _answered(_submit(uow, job).result()))


async def answer(uow: UnitOfWork, job: Job[T]) -> T:
    """The same from the event loop: no worker thread waits for the batch."""
    return cast(T, _answered(await asyncio.wrap_future(_submit(uow, job))))
