"""BILL-7 in the demo utility: one resident's month is corrected and re-priced, so the
console shows a 退补 — reversal and re-issued bills whose tiers moved."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from safegrid.billing.models import BillAdjustment
from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.demo.billing import correct_one_account
from safegrid.demo.generator import generate
from safegrid.security.actor import Actor
from tests.fixtures.scratch_sqlite import SchemaCopy

SYSTEM = Actor.system("test", "job")


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, migrated_schema: SchemaCopy
) -> Iterator[Platform]:
    db: Path = tmp_path_factory.mktemp("demo-correction") / "d.db"
    platform = Platform(
        Settings(
            env="test",
            database_url=f"sqlite:///{db}",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            secret_key="test-secret-key-for-demo-correction-tests",
        )
    )
    migrated_schema(platform)
    set_platform(platform)
    try:
        generate(platform, seed=11, customers=150, days=400)
        yield platform
    finally:
        set_platform(None)
        platform.dispose()


def test_bill_7_demo_has_one_corrected_account(demo: Platform) -> None:
    corrected = correct_one_account(demo)
    assert corrected is not None
    assert corrected.months >= 2  # the corrected month and later months of its tier year
    assert corrected.difference > Decimal("600") * Decimal("0.538")  # tier 2 kWh cost more
    with demo.uow(SYSTEM, readonly=True) as uow:
        adjustments = uow.session.scalars(select(BillAdjustment)).all()
    assert len(adjustments) == corrected.months
    assert adjustments[0].period == corrected.period
    assert sum(a.difference for a in adjustments) == corrected.difference
