"""DATA-5 under concurrency (issue 11): simultaneous requests of one user cannot pass the
export limit together. Real threads, each with its own unit of work and connection. SQLite
serialises writers; on PostgreSQL these failed before the per-user bucket row lock."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest

from safegrid.bootstrap import Platform
from safegrid.datause import exports, rate_limit
from safegrid.datause.rate_limit import RateLimitedError
from safegrid.datause.schemas import ExportCreate
from safegrid.datause.settings import get_datause_settings
from safegrid.security.policy import Post
from tests.fixtures.world import World

THREADS = 8


@pytest.fixture(autouse=True)
def _postgresql_only(platform: Platform) -> None:
    if platform.settings.is_sqlite:
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE), so two requests can never count at "
            "once there; the race is run on PostgreSQL"
        )


def _together(job: Callable[[], str]) -> list[str]:
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def run() -> None:
        start.wait()
        try:
            outcome = job()
        except RateLimitedError:
            outcome = "limited"
        except Exception as exc:  # collected and asserted on by the test
            outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return sorted(outcomes)


def test_data_5_requests_that_all_counted_before_any_committed_cannot_all_pass(
    world: World,
) -> None:
    """The worst case made certain: every request holds its place after its count until
    all have counted (or a second has passed). Without a lock all eight counted zero and
    passed a limit of one; with it the others wait for the first and count its row."""
    manager = world.actor(world.staff(Post.HALL_MANAGER, "hallA"))
    counted = threading.Barrier(THREADS)

    def export() -> str:
        with world.platform.uow(manager) as uow:
            rate_limit.take(uow, "export", 1)
            # Broken when the others are queued behind this one's lock: go on and commit.
            with contextlib.suppress(threading.BrokenBarrierError):
                counted.wait(timeout=1)
            uow.audit("datause.export", object_type="export")
            uow.commit()
        return "passed"

    assert _together(export) == ["limited"] * (THREADS - 1) + ["passed"]


def test_data_5_simultaneous_exports_of_one_user_stop_at_the_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_datause_settings(), "exports_per_hour", 3)
    world.customer("hallA")
    manager = world.actor(world.staff(Post.HALL_MANAGER, "hallA"))

    def export() -> str:
        exports.do_export_customers(world.platform.uow(manager), ExportCreate())
        return "exported"

    assert _together(export) == ["exported"] * 3 + ["limited"] * (THREADS - 3)
