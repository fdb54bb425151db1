"""BILL-4 in the demo utility: every complete month of the generated readings is closed and
billed, the bills equal the Decimal reference, and a month is one audited run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.billing.models import Bill, BillLine, BillRun, RunStatus
from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.demo.billing import complete_months, issue_date
from safegrid.demo.generator import DemoSummary, generate
from safegrid.readings.models import MonthlyUsage, PeriodStatus, ReadingPeriod
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry
from safegrid.tariffs.calculation import calculate
from safegrid.tariffs.models import Tariff, TariffVersion
from tests.fixtures.scratch_sqlite import SchemaCopy

SYSTEM = Actor.system("test", "job")


def test_bill_4_complete_months_of_a_reading_window() -> None:
    assert complete_months(date(2025, 11, 24), date(2026, 11, 23)) == [
        f"{y}-{m:02d}" for y, m in [(2025, 12)] + [(2026, k) for k in range(1, 11)]
    ]
    assert complete_months(date(2026, 3, 1), date(2026, 3, 31)) == ["2026-03"]
    assert complete_months(date(2026, 3, 2), date(2026, 4, 29)) == []
    assert issue_date("2026-10").isoformat() == "2026-11-03T09:00:00+08:00"


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, migrated_schema: SchemaCopy
) -> Iterator[tuple[Platform, DemoSummary]]:
    db: Path = tmp_path_factory.mktemp("demo-bills") / "d.db"
    platform = Platform(
        Settings(
            env="test",
            database_url=f"sqlite:///{db}",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            secret_key="test-secret-key-for-demo-billing-tests",
        )
    )
    migrated_schema(platform)
    set_platform(platform)
    try:
        yield platform, generate(platform, seed=11, customers=120, days=75)
    finally:
        set_platform(None)
        platform.dispose()


def test_bill_4_demo_closes_and_bills_every_complete_month(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, summary = demo
    months = complete_months(summary.first_day, summary.last_day)
    assert months, "the window must hold a complete month"
    with platform.uow(SYSTEM, readonly=True) as uow:
        s = uow.session
        closed = s.scalars(
            select(ReadingPeriod.period).where(ReadingPeriod.status == PeriodStatus.CLOSED)
        ).all()
        runs = s.execute(select(BillRun.period, BillRun.status, BillRun.bills_created)).all()
        per_month = dict(s.execute(select(Bill.period, func.count()).group_by(Bill.period)).all())
        usage = dict(
            s.execute(
                select(
                    MonthlyUsage.period, func.count(func.distinct(MonthlyUsage.account_id))
                ).group_by(MonthlyUsage.period)
            ).all()
        )
        audits = s.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "billing.run")
        ).all()
    assert sorted(closed) == months
    assert sorted(p for p, _, _ in runs) == months
    assert all(status == RunStatus.COMPLETED for _, status, _ in runs)
    assert per_month == usage  # one bill per account with usage, every month
    assert summary.bills == sum(per_month.values())
    assert len(audits) == len(months)  # one audit entry per run, not per bill


def test_bill_4_demo_bills_equal_the_reference_calculation(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, _ = demo
    checked = 0
    with platform.uow(SYSTEM, readonly=True) as uow:
        s = uow.session
        versions = {
            v.id: (t, v) for t, v in s.execute(select(Tariff, TariffVersion).join(TariffVersion))
        }
        for bill in s.scalars(select(Bill).order_by(Bill.id).limit(400)):
            rows = s.scalars(
                select(MonthlyUsage).where(
                    MonthlyUsage.account_id == bill.account_id, MonthlyUsage.period == bill.period
                )
            ).all()
            tariff, version = versions[bill.tariff_version_id or 0]
            tou = any(r.peak_kwh is not None for r in rows)
            charge = calculate(
                version.terms(tariff.structure),
                sum((r.kwh for r in rows), Decimal(0)),
                sum((r.peak_kwh or Decimal(0) for r in rows), Decimal(0)) if tou else None,
                sum((r.valley_kwh or Decimal(0) for r in rows), Decimal(0)) if tou else None,
                bill.tier_prior_kwh or Decimal(0),
            )
            lines = s.scalars(
                select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.line_no)
            ).all()
            assert bill.amount == charge.amount
            assert [(ln.kind, ln.kwh, ln.amount) for ln in lines] == [
                (c.kind.value, c.kwh, c.amount) for c in charge.lines
            ]
            assert bill.issued_at == issue_date(bill.period)  # dated as issued that month
            checked += 1
    assert checked > 100
