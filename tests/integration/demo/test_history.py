"""The demo's history filled in the background (issue 11 §5): the core first, then the
months one at a time; a run stopped anywhere and started again finishes exactly the
history an uninterrupted run writes, and a finished history is left alone. The resumed
run uses the suite's database (PostgreSQL under scripts/with-postgres.sh), the
uninterrupted one its own SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safegrid.billing.models import Bill
from safegrid.billing.periods import shift
from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.customers.models import Account
from safegrid.demo import history, readings
from safegrid.demo.cli import app
from safegrid.demo.generator import generate
from safegrid.demo.history import complete_history, history_progress
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import Payment
from safegrid.readings.daily_totals import UnitDailyLoad
from safegrid.readings.models import DailyReading
from safegrid.readings.periods import month_bounds
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry
from tests.fixtures.scratch_sqlite import SchemaCopy

SEED, CUSTOMERS, DAYS = 5, 40, 80
PER_BLOCK = 10
BLOCKS = CUSTOMERS // PER_BLOCK  # a month's readings: one transaction per block, one to finish


class Stopped(Exception):
    """Stands for the process being killed between two statements."""


def _platform(migrated_schema: SchemaCopy, db: Path) -> Iterator[Platform]:
    p = Platform(
        Settings(
            env="test",
            database_url=f"sqlite:///{db}",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            secret_key="test-secret-key-for-demo-history-tests",
        )
    )
    migrated_schema(p)
    set_platform(p)
    try:
        yield p
    finally:
        set_platform(None)
        p.dispose()


def _stop_at(what: str, nth: int) -> Any:
    seen = 0

    def advance(kind: str, _n: int) -> None:
        nonlocal seen
        if kind == what:
            seen += 1
            if seen == nth:
                raise Stopped(f"{what} #{nth}")

    return advance


def _history(platform: Platform) -> dict[str, Any]:
    """Everything the history writes, keyed so two databases compare row for row."""
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        s = uow.session
        return {
            "readings": s.execute(
                select(
                    DailyReading.meter_id,
                    DailyReading.day,
                    DailyReading.register_kwh,
                    DailyReading.kwh,
                    DailyReading.peak_kwh,
                ).order_by(DailyReading.meter_id, DailyReading.day)
            ).all(),
            "daily_totals": s.execute(
                select(UnitDailyLoad.org_unit_id, UnitDailyLoad.day, UnitDailyLoad.kwh).order_by(
                    UnitDailyLoad.org_unit_id, UnitDailyLoad.day
                )
            ).all(),
            "bills": s.execute(
                select(Account.number, Bill.period, Bill.amount, Bill.issued_at)
                .join(Account, Account.id == Bill.account_id)
                .order_by(Account.number, Bill.period)
            ).all(),
            "payments": s.execute(
                select(Payment.idempotency_key, Payment.amount, Payment.captured_at).order_by(
                    Payment.idempotency_key
                )
            ).all(),
            "month_entries": s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "demo.history.month")
            ),
        }


def _meters_read(platform: Platform, period: str | None) -> int:
    first, after = month_bounds(period or "")
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        return int(
            uow.session.scalar(
                select(func.count(func.distinct(DailyReading.meter_id))).where(
                    DailyReading.day >= first, DailyReading.day < after
                )
            )
            or 0
        )


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Blocks of 10 meters, each committed on its own, so a month takes several
    transactions at this scale (the straight run below uses the same blocks: the TOU
    draws follow the block boundaries)."""
    monkeypatch.setattr(readings, "BATCH_ROWS", PER_BLOCK * (DAYS + 1) - 1)
    monkeypatch.setattr(history, "READINGS_PER_COMMIT", 1)
    return monkeypatch


def test_org_1_core_first_then_history_stopped_thrice_and_resumed_equals_one_run(
    platform: Platform,
    tmp_path: Path,
    small_blocks: pytest.MonkeyPatch,
    migrated_schema: SchemaCopy,
) -> None:
    monkeypatch = small_blocks
    core = generate(platform, seed=SEED, customers=CUSTOMERS, days=DAYS, with_history=False)
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        planned = history_progress(uow.session)
        assert uow.session.scalar(select(func.count()).select_from(DailyReading)) == 0
    assert planned is not None
    assert (planned.done, planned.readings, planned.finished) == (0, 0, False)
    assert planned.current == core.first_day.strftime("%Y-%m")
    assert 3 <= planned.months <= 4  # 80 days ending yesterday touch 3 or 4 calendar months

    # Stopped after the first block of the second month was committed: it stays.
    with pytest.raises(Stopped):
        complete_history(platform, _stop_at("readings", BLOCKS + 2))
    assert _meters_read(platform, planned.current) == CUSTOMERS
    second = shift(planned.current or "", 1)
    assert _meters_read(platform, second) == PER_BLOCK
    # Killed inside the transaction of the second month's third block: nothing of it stays.
    real_write = readings.write_rows
    calls = 0

    def dies_on_second_call(conn: Any, rows: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Stopped("killed while writing")
        real_write(conn, rows)

    monkeypatch.setattr(readings, "write_rows", dies_on_second_call)
    with pytest.raises(Stopped):
        complete_history(platform)
    monkeypatch.setattr(readings, "write_rows", real_write)
    assert _meters_read(platform, second) == 2 * PER_BLOCK
    # Killed after some of a month's payments were committed.
    with pytest.raises(Stopped):
        complete_history(platform, _stop_at("payments", 1))
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        midway = history_progress(uow.session)
    assert midway is not None and 0 < midway.done < midway.months and not midway.finished

    totals = complete_history(platform)
    assert totals is not None
    resumed = _history(platform)
    assert totals.readings == len(resumed["readings"]) == core.readings == CUSTOMERS * DAYS
    # Each unit's daily totals (the forecast page's) are the sums of its readings.
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        summed = uow.session.execute(
            select(DailyReading.org_unit_id, DailyReading.day, func.sum(DailyReading.kwh))
            .group_by(DailyReading.org_unit_id, DailyReading.day)
            .order_by(DailyReading.org_unit_id, DailyReading.day)
        ).all()
    cent = Decimal("0.01")
    assert [(u, d, Decimal(k).quantize(cent)) for u, d, k in summed] == [
        (u, d, k.quantize(cent)) for u, d, k in resumed["daily_totals"]
    ]
    assert totals.bills == len(resumed["bills"]) > 0
    assert totals.payments == len(resumed["payments"]) > 0
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        done = history_progress(uow.session)
        assert ledger_totals(uow.session).holds
    assert done is not None and done.finished and done.done == done.months
    with platform.engine.connect() as conn:
        assert audit.verify(conn).ok

    # Finished: another run (a second `make demo`) changes nothing.
    entries = _count(platform, AuditEntry)
    assert complete_history(platform) == totals
    assert _count(platform, AuditEntry) == entries
    assert _history(platform) == resumed

    # The same seed in one uninterrupted run writes the same history, row for row.
    for other in _platform(migrated_schema, tmp_path / "straight.db"):
        generate(other, seed=SEED, customers=CUSTOMERS, days=DAYS)
        assert _history(other) == resumed


def _count(platform: Platform, model: Any) -> int:
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_org_1_history_of_a_database_without_a_planned_demo_is_nothing(
    platform: Platform,
) -> None:
    assert complete_history(platform) is None


def test_org_1_cli_core_only_then_history_resumes_and_is_idempotent(platform: Platform) -> None:
    runner = CliRunner()
    args = ["generate", "--if-empty", "--core-only", "--customers", "30", "--days", "40"]
    core = runner.invoke(app, [*args, "--seed", "9"], env={"COLUMNS": "200"})
    assert core.exit_code == 0, core.output
    assert "safegrid demo history" in core.output  # the history is still to come
    assert _count(platform, DailyReading) == 0
    first = runner.invoke(app, ["history"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "demo history complete: 1,200 readings" in first.output
    entries = _count(platform, AuditEntry)
    again = runner.invoke(app, ["history"], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert "demo history complete: 1,200 readings" in again.output
    assert _count(platform, AuditEntry) == entries
    assert _count(platform, DailyReading) == 30 * 40
