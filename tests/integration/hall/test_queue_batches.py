"""HALL-2 under load: queue operations of a process committed in groups (ADR 0045). Each
caller keeps the answer it would have had alone; a refusal changes nothing and costs its
neighbours nothing but a retry; nobody hears an answer before the commit."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select

from safegrid.hall import queue, queue_batches
from safegrid.hall.catalogue import BusinessType, TicketStatus
from safegrid.hall.models import HallEvent, Ticket
from safegrid.hall.queue_batches import Operation
from safegrid.hall.schemas import Rating, TicketOut, TicketTake
from safegrid.platform.errors import NotFoundError, PermissionDeniedError
from safegrid.platform.outbox import OutboxMessage
from safegrid.security import audit
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.commit_gate import CommitGate
from tests.fixtures.hall import Halls

PAY = TicketTake(business_type=BusinessType.PAYMENT)


def _count(h: Halls, what: Any) -> int:
    with h.world.platform.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(what)) or 0)


def _statements(h: Halls, work: Callable[[], Any]) -> tuple[list[str], Any]:
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            sent.append(statement)

    engine = h.world.platform.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        result = work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return sent, result


def test_hall_2_a_refusal_in_a_batch_changes_nothing_and_the_others_commit(
    hall_world: Halls,
) -> None:
    h = hall_world
    hall_a = h.open("hallA")
    h.open("hallB")
    window_a = h.window("hallA", 1)
    window_b = h.window("hallB", 1)
    h.take("hallA")
    waiting_b = h.take("hallB")
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    entries = _count(h, AuditEntry)

    answers = queue_batches.apply(
        h.world.platform.session_factory,
        [
            Operation.of(agent, queue.call_next_job(window_a)),
            Operation.of(agent, queue.call_next_job(window_b)),  # another county's hall
            Operation.of(agent, queue.take_job(hall_a, PAY)),
        ],
    )

    called, refused, taken = answers
    assert isinstance(called, TicketOut) and called.window_id == window_a
    assert isinstance(refused, NotFoundError | PermissionDeniedError)
    assert isinstance(taken, TicketOut) and taken.status == "waiting"
    with h.world.platform.engine.connect() as c:
        status_b = c.scalar(select(Ticket.status).where(Ticket.id == waiting_b.id))
    assert status_b == TicketStatus.WAITING  # the refused call changed nothing
    assert _count(h, AuditEntry) == entries + 2  # the call and the take, each once
    with h.world.platform.engine.connect() as c:
        assert audit.verify(c).ok


def test_hall_2_one_transaction_per_batch_with_each_callers_own_facts(hall_world: Halls) -> None:
    h = hall_world
    hall_a = h.open("hallA")
    h.window("hallA", 1)
    first = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    second = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    h.take("hallA")  # the counter row exists: every take below is the same statements
    factory = h.world.platform.session_factory
    alone, _ = _statements(
        h, lambda: queue_batches.apply(factory, [Operation.of(first, queue.take_job(hall_a, PAY))])
    )
    events = _count(h, HallEvent)
    outbox = _count(h, OutboxMessage)

    together, answers = _statements(
        h,
        lambda: queue_batches.apply(
            factory,
            [Operation.of(a, queue.take_job(hall_a, PAY)) for a in (first, second, first)],
        ),
    )

    assert all(isinstance(a, TicketOut) for a in answers)
    assert [a.number for a in answers] == ["A0003", "A0004", "A0005"]
    # Per take: threshold, number, insert, people ahead; per batch: the hall events, their
    # outbox rows, and the audit chain's three (head, entries, head). (SQLite inserts the
    # events one statement per row, to return their ids in order.)
    assert len(alone) == 4 + 2 + 3

    def kinds(sent: list[str]) -> tuple[int, int, int]:
        return (
            sum("audit_head" in q for q in sent),
            sum(q.startswith("INSERT INTO audit_entries") for q in sent),
            sum(q.startswith("INSERT INTO outbox_messages") for q in sent),
        )

    assert kinds(alone) == kinds(together) == (2, 1, 1)
    assert len(together) - len(alone) <= 2 * 4 + 2  # two more takes, and two event rows
    assert _count(h, HallEvent) == events + 3 and _count(h, OutboxMessage) == outbox + 3
    with h.world.platform.engine.connect() as c:
        actors = c.scalars(select(HallEvent.actor).order_by(HallEvent.id.desc()).limit(3)).all()
        audited = c.scalars(
            select(AuditEntry.actor_name).order_by(AuditEntry.seq.desc()).limit(3)
        ).all()
    names = [first.username, second.username, first.username]
    assert list(reversed(actors)) == names and list(reversed(audited)) == names
    with h.world.platform.engine.connect() as c:
        assert audit.verify(c).ok


def test_hall_2_a_batch_that_changed_nothing_commits_nothing(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    window = h.window("hallA", 1)
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    entries = _count(h, AuditEntry)
    assert queue_batches.apply(
        h.world.platform.session_factory, [Operation.of(agent, queue.call_next_job(window))]
    ) == [None]  # nobody waits: 204
    assert _count(h, AuditEntry) == entries


def test_hall_2_rating_twice_in_one_batch_rates_once(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    window = h.window("hallA", 1)
    h.take("hallA")
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    uow = h.world.platform.uow
    ticket = queue.do_call_next(uow(agent), window)
    assert ticket is not None
    queue.do_step(uow(agent), ticket.id, "complete")

    first, second = queue_batches.apply(
        h.world.platform.session_factory,
        [Operation.of(agent, queue.rate_job(ticket.id, Rating(score=s))) for s in (5, 1)],
    )

    assert isinstance(first, TicketOut)
    assert isinstance(second, Exception) and "已评价" in str(second)
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(Ticket.rating).where(Ticket.id == ticket.id)) == 5


def test_hall_2_the_answer_comes_only_after_the_commit(
    hall_world: Halls, commit_gate: CommitGate
) -> None:
    h = hall_world
    hall_a = h.open("hallA")
    h.window("hallA", 1)
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    future = queue_batches.BATCHER.submit(
        h.world.platform.session_factory, Operation.of(agent, queue.take_job(hall_a, PAY))
    )
    assert commit_gate.reached.wait(10)
    with pytest.raises(concurrent.futures.TimeoutError):
        future.result(timeout=0.3)  # taken, not yet committed: no answer
    commit_gate.release.set()
    answer = future.result(timeout=10)
    assert isinstance(answer, TicketOut)
    assert _count(h, Ticket) == 1
