"""HALL-2 under concurrency: a ticket is never called twice and numbers are never handed
out twice, even when windows press "next" and kiosks take tickets at the same instant.
Real threads, each with its own unit of work and connection, released together by a
barrier. SQLite serialises writers, so the races exist on PostgreSQL only."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.hall import queue
from safegrid.hall.catalogue import TicketStatus
from safegrid.hall.models import Ticket
from safegrid.platform.errors import ConflictError
from safegrid.security.policy import Post
from tests.fixtures.hall import Halls

WINDOWS = 6
ROUNDS = 8


@pytest.fixture(autouse=True)
def _postgresql_only(platform: Platform) -> None:
    if platform.settings.is_sqlite:
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race is run on PostgreSQL")


def _together(jobs: list[Callable[[], object]]) -> list[object]:
    results: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # the refusal is the result under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_hall_2_concurrent_call_next_never_calls_a_ticket_twice(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA", threshold=1000)
    windows = [h.window("hallA", n) for n in range(1, WINDOWS + 1)]
    for _ in range(WINDOWS * ROUNDS - 3):  # fewer tickets than presses: some find none
        h.take("hallA")
    agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "hallA"))
    uow = h.world.platform.uow
    called: list[int] = []
    for _ in range(ROUNDS):
        # Every window presses "next" at once — and window 1 presses twice.
        jobs = [lambda w=w: queue.do_call_next(uow(agent), w) for w in [*windows, windows[0]]]
        results = _together(jobs)
        got = [r.id for r in results if r is not None and not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(r, ConflictError) for r in refused), refused
        called += got
        for ticket_id in got:
            queue.do_step(uow(agent), ticket_id, "complete")
    assert len(called) == len(set(called)) == WINDOWS * ROUNDS - 3
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(func.count()).where(Ticket.status == TicketStatus.WAITING)) == 0


def test_hall_2_concurrent_takes_get_distinct_gapless_numbers(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA", threshold=1000)
    results = _together([lambda: h.take("hallA") for _ in range(12)])
    numbers = sorted(r.number for r in results)  # type: ignore[union-attr]
    assert numbers == [f"A{n:04d}" for n in range(1, 13)]
