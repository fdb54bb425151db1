"""ANA-3/ANA-4 under concurrency: two runs at once still store each early reminder and each
tariff advice once and text each customer once — the unique constraints decide, not a
check before the insert. Real threads, each with its own unit of work; SQLite serialises
writers, so the race is run on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from safegrid.analytics.arrears.history import bill_history
from safegrid.analytics.arrears.services import do_send_early_reminders, do_store_scores
from safegrid.analytics.models import AnalyticsModel, ArrearsScore, TariffAdvice
from safegrid.analytics.tariff_advice import advise
from safegrid.analytics.tariff_push import do_push_advice
from safegrid.bootstrap import Platform
from safegrid.collection.models import Reminder
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.readings.models import DailyReading
from tests.fixtures.billing import new_account, seed_tariffs
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

THREADS = 6
TODAY = date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _postgresql_only(platform: Platform) -> None:
    if platform.settings.is_sqlite:
        pytest.skip("SQLite serialises writers; the race is run on PostgreSQL")


def _together(job: Callable[[], int]) -> list[int | str]:
    outcomes: list[int | str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def run() -> None:
        start.wait()
        try:
            outcome: int | str = job()
        except Exception as exc:  # collected and asserted on by the test
            outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a run hung"
    return outcomes


def _total(outcomes: list[int | str]) -> int:
    """What the runs stored between them; every run must have finished without an error."""
    failed = [o for o in outcomes if isinstance(o, str)]
    assert not failed, failed
    return sum(o for o in outcomes if isinstance(o, int))


def _count(world: World, *where: object) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(*where)) or 0)


def test_ana_3_ana_4_runs_at_once_remind_and_advise_each_customer_once(
    world: World, bills: Bills
) -> None:
    clock.set_clock(clock.FixedClock(datetime.combine(TODAY, time(4), tzinfo=BUSINESS_TZ)))
    actor = world.system()
    # Early reminders: three high-risk bills due in two days.
    ids = [bills.bill(bills.account(), "120.00", due=TODAY + timedelta(days=2)) for _ in range(3)]
    with world.platform.uow(actor) as uow:
        model_id = uow.session.execute(
            insert(AnalyticsModel)
            .values(
                kind="arrears", version="race", training_data_sha256="0" * 64, training_rows=1,
                params="{}", evaluation="{}", path="-", registered_at=clock.now(),
            )
            .returning(AnalyticsModel.id)
        ).scalar_one()  # fmt: skip
        uow.audit("test.model", object_type="analytics_model")
        uow.commit()
    with world.platform.uow(actor, readonly=True) as uow:
        frame = bill_history(uow, TODAY + timedelta(days=1))[0]
    scored = pd.DataFrame({"bill_id": ids, "score": [0.9] * 3, "reason": ["r / r"] * 3})
    stored = _together(lambda: do_store_scores(world.platform.uow(actor), model_id, scored, frame))
    reminded = _together(lambda: do_send_early_reminders(world.platform.uow(actor), TODAY))

    assert (
        sorted(stored, key=str) == [0] * (THREADS - 1) + [3]
        or sum(s for s in stored if isinstance(s, int)) == 3
    ), stored
    assert all(isinstance(r, int) for r in reminded) and sum(reminded) == 3, reminded  # type: ignore[arg-type]
    assert _count(world, ArrearsScore) == 3 and _count(world, Reminder) == 3
    assert _count(world, Notification) == 3

    # Tariff advice: two shops that would save on the flat tariff.
    seed_tariffs(world)
    first = date(2025, 11, 1)
    for _ in range(2):
        _account, meter = new_account(world, category="commercial", tou=True)
        rows = [
            {
                "meter_id": meter, "day": first + timedelta(days=d),
                "register_kwh": Decimal(30 * (d + 1)), "kwh": Decimal("30.00"),
                "peak_kwh": Decimal("22.50"), "valley_kwh": Decimal("7.50"), "source": "ami",
                "org_unit_id": world.units["stationA"],
            }
            for d in range(365)
        ]  # fmt: skip
        with world.platform.uow(actor) as uow:
            uow.session.execute(insert(DailyReading), rows)
            uow.audit("readings.seeded_for_test", object_type="daily_readings")
            uow.commit()
    advice = advise(world.platform.uow(actor, readonly=True), "2026-10")
    pushed = _together(lambda: do_push_advice(world.platform.uow(actor), "2026-10", advice))

    assert _total(pushed) == 2
    assert _count(world, TariffAdvice) == 2 and _count(world, Notification) == 3 + 2
