"""HALL-6 under concurrency: applications filed at the same instant get distinct,
consecutive numbers from the month's counter row (``platform.numbering``), never MAX+1.
SQLite serialises writers, so the race is run on PostgreSQL only."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from safegrid.applications import services
from safegrid.applications.schemas import ApplicationOut, ApplicationSubmit
from safegrid.bootstrap import Platform
from safegrid.platform import clock
from tests.integration.applications.support import Applying, deed, identity

FILERS = 8


@pytest.fixture(autouse=True)
def _postgresql_only(platform: Platform) -> None:
    if platform.settings.is_sqlite:
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race is run on PostgreSQL")


def test_hall_6_concurrent_submissions_get_distinct_consecutive_numbers(
    applying: Applying,
) -> None:
    a = applying
    results: list[ApplicationOut | Exception] = []
    barrier = threading.Barrier(FILERS)
    lock = threading.Lock()

    def file() -> None:
        barrier.wait()
        try:
            out: ApplicationOut | Exception = services.do_submit(
                a.world.platform.uow(a.agent),
                ApplicationSubmit(account_no=a.account_no, kind="lv_new", capacity_kva=Decimal(6)),
                [identity(), deed()],
            )
        except Exception as exc:  # a lost race would be the result under test
            out = exc
        with lock:
            results.append(out)

    threads = [threading.Thread(target=file) for _ in range(FILERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    numbers = sorted(r.number for r in results if isinstance(r, ApplicationOut))
    prefix = f"YK{clock.business_day():%Y%m}"
    assert numbers == [f"{prefix}{n:05d}" for n in range(1, FILERS + 1)], results
