"""BILL-4 with several server processes: a console bill run's progress is committed to the
database, so the progress poll of any process — here a second Platform with its own engine
and sessions — sees it while the run works and after it is done."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from safegrid.billing import background
from safegrid.billing.run_progress import (
    ABANDONED_AFTER,
    Heartbeat,
    RunProgress,
    close_run,
    current,
    open_run,
)
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.platform import clock
from safegrid.security.policy import Post
from tests.fixtures.billing import new_account, seed_tariffs, set_period, set_usage
from tests.fixtures.world import World

PERIOD = "2026-10"


@pytest.fixture
def other_process(world: World) -> Iterator[Platform]:
    """Another server process: same database, its own engine, pool and sessions."""
    other = Platform(world.platform.settings)
    yield other
    other.dispose()


def _closed_october(world: World, accounts: int = 3) -> None:
    seed_tariffs(world)
    for _ in range(accounts):
        account, meter = new_account(world, "stationA")
        set_usage(world, meter, account, PERIOD, "300")
    set_period(world, PERIOD)


def test_bill_4_progress_of_a_running_run_is_read_by_another_process(
    world: World, other_process: Platform
) -> None:
    _closed_october(world)
    actor = world.actor(world.staff(Post.FINANCE, "countyA"))
    progress, opened = open_run(world.platform.uow(actor), PERIOD)
    assert opened
    heartbeat = Heartbeat(world.platform.engine, progress.id)
    seen: list[RunProgress | None] = []

    def watch(phase: str, done: int, total: int) -> None:
        heartbeat(phase, done, total)
        seen.append(current(other_process.uow(actor, readonly=True)))

    result = do_run_bills(world.platform.uow(actor), PERIOD, progress=watch)

    assert seen and all(s is not None and not s.finished for s in seen)
    assert {s.id for s in seen if s is not None} == {progress.id}
    if world.platform.settings.is_sqlite:
        # One writer: the run holds the lock, so the counters wait for its end.
        assert {(s.phase, s.done) for s in seen if s is not None} == {("load", 0)}
    else:
        last = seen[-1]
        assert last is not None
        assert (last.phase, last.done, last.total) == ("write", 3, 3)
        assert last.percent == 100  # write phase, all written: 30 + 70
    # A second click, in any process, while it runs: the same run, not a new one.
    again, opened_again = open_run(other_process.uow(actor), PERIOD)
    assert (again.id, opened_again) == (progress.id, False)
    close_run(world.platform.uow(actor), progress.id, run_id=result.id, bills=3, error=None)
    done = current(other_process.uow(actor, readonly=True))
    assert done is not None and done.finished
    assert (done.run_id, done.bills_created, done.percent) == (result.id, 3, 100)


def test_bill_4_a_console_run_is_seen_finished_by_another_process(
    world: World, other_process: Platform
) -> None:
    _closed_october(world, accounts=2)
    actor = world.actor(world.staff(Post.FINANCE, "countyA"))
    started = background.start(world.platform, actor, PERIOD, 15)
    deadline = time.monotonic() + 20
    polled = background.current(other_process, actor)
    while polled is None or not polled.finished:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.05)
        polled = background.current(other_process, actor)
    assert polled.id == started.id
    assert polled.error is None and polled.run_id is not None
    assert polled.bills_created == 2
    # Someone else's poll shows their own runs, not this one.
    other_actor = world.actor(world.staff(Post.FINANCE, "countyB"))
    assert background.current(other_process, other_actor) is None


def test_bill_4_a_run_abandoned_by_a_dead_process_does_not_block_the_next(
    world: World,
) -> None:
    actor = world.actor(world.staff(Post.FINANCE, "countyA"))
    stuck, _ = open_run(world.platform.uow(actor), PERIOD)  # its process died: never closed
    again, opened = open_run(world.platform.uow(actor), PERIOD)
    assert (again.id, opened) == (stuck.id, False)
    clock.set_clock(clock.FixedClock(clock.now() + ABANDONED_AFTER + timedelta(seconds=1)))
    fresh, opened = open_run(world.platform.uow(actor), PERIOD)
    assert opened and fresh.id != stuck.id
