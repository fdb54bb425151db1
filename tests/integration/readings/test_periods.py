"""BILL-2 → BILL-4: closing a month derives every meter's monthly usage, set-based."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text

from safegrid.customers.models import Meter, SupplyPoint
from safegrid.platform.errors import ValidationProblem
from safegrid.readings import services
from safegrid.readings.models import MonthlyUsage, PeriodStatus, ReadingPeriod
from safegrid.readings.schemas import ReadingEntry
from safegrid.security.policy import Post
from tests.fixtures.world import World
from tests.integration.readings.conftest import Meters


def _usage(world: World, period: str) -> dict[int, tuple[object, ...]]:
    with world.platform.engine.connect() as conn:
        rows = conn.execute(
            select(
                MonthlyUsage.meter_id,
                MonthlyUsage.kwh,
                MonthlyUsage.peak_kwh,
                MonthlyUsage.valley_kwh,
                MonthlyUsage.estimated,
                MonthlyUsage.source,
            ).where(MonthlyUsage.period == period)
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _audits(world: World, action: str) -> int:
    with world.platform.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT COUNT(*) FROM audit_entries WHERE action = :a"), {"a": action}
            ).scalar_one()
        )


def test_bill_2_close_period_derives_usage_from_daily_registers_and_estimates(
    world: World, meters: Meters
) -> None:
    ami, _ = meters.make(tou=True)
    october = [date(2026, 10, 1) + timedelta(days=i) for i in range(31)]
    meters.daily(ami, [(d, f"{1000 + i}.50", "10.25", "6.10") for i, d in enumerate(october)])
    meters.daily(ami, [(date(2026, 11, 1), "2000.00", "99.00", "50.00")])  # not October
    manual, asset = meters.make(multiplier=20)
    meters.stored_read(manual, date(2026, 9, 30), "100.00")
    system = world.system()
    for day, total in ((date(2026, 10, 15), "110.00"), (date(2026, 10, 31), "112.50")):
        services.do_enter_reading(
            world.platform.uow(system), ReadingEntry(asset_no=asset, read_on=day, total=total)
        )
    silent, _ = meters.make()
    with world.platform.engine.begin() as conn:  # its last three closed months
        account = conn.execute(
            select(SupplyPoint.account_id)
            .join(Meter, Meter.supply_point_id == SupplyPoint.id)
            .where(Meter.id == silent)
        ).scalar_one()
        conn.execute(
            insert(MonthlyUsage),
            [
                {
                    "meter_id": silent,
                    "account_id": account,
                    "period": period,
                    "kwh": Decimal(kwh),
                    "estimated": False,
                    "source": "ami",
                    "org_unit_id": meters.unit_of(silent),
                }
                for period, kwh in (
                    ("2026-07", "100.00"),
                    ("2026-08", "150.00"),
                    ("2026-09", "200.01"),
                )
            ],
        )
    late, _ = meters.make(installed_on=date(2026, 11, 2))  # not yet installed in October

    head = world.staff(Post.DEPARTMENT_HEAD, "prov")
    summary = services.do_close_period(world.platform.uow(world.actor(head)), "2026-10")
    assert (summary.from_daily, summary.from_registers, summary.estimated) == (1, 1, 1)
    assert summary.utility_wide
    usage = _usage(world, "2026-10")
    assert usage[ami] == (
        Decimal("317.75"),  # 31 × 10.25
        Decimal("189.10"),  # 31 × 6.10
        Decimal("128.65"),
        False,
        "ami",
    )
    assert usage[manual] == (Decimal("250.00"), None, None, False, "register")  # 12.50 × 20
    assert usage[silent] == (Decimal("150.00"), None, None, True, "estimate")  # 450.01 / 3
    assert late not in usage
    assert _audits(world, "readings.close_period") == 1

    again = services.do_close_period(world.platform.uow(world.actor(head)), "2026-10")
    assert again.already_closed
    assert _audits(world, "readings.close_period") == 1
    with world.platform.engine.connect() as conn:
        status = conn.execute(
            select(ReadingPeriod.status).where(ReadingPeriod.period == "2026-10")
        ).scalar_one()
    assert status == PeriodStatus.CLOSED
    with world.platform.uow(world.actor(head), readonly=True) as uow:
        assert services.is_period_closed(uow, "2026-10")
        assert not services.is_period_closed(uow, "2026-09")


def test_bill_2_closed_period_refuses_new_readings(world: World, meters: Meters) -> None:
    _, asset = meters.make()
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    services.do_close_period(world.platform.uow(world.actor(head)), "2026-10")
    entry = ReadingEntry(asset_no=asset, read_on=date(2026, 10, 20), total=Decimal("5"))
    with pytest.raises(ValidationProblem) as exc:
        services.do_enter_reading(world.platform.uow(world.actor(head)), entry)
    assert exc.value.field == "read_on"
    assert "closed" in exc.value.message


def test_bill_2_county_close_covers_its_subtree_only(world: World, meters: Meters) -> None:
    a, asset_a = meters.make("stationA")
    b, asset_b = meters.make("stationB")
    county_head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    summary = services.do_close_period(world.platform.uow(world.actor(county_head)), "2026-10")
    assert not summary.utility_wide
    assert set(_usage(world, "2026-10")) == {a}
    entry = {"read_on": date(2026, 10, 20), "total": Decimal("5")}
    system = world.platform.uow(world.system())
    services.do_enter_reading(system, ReadingEntry(asset_no=asset_b, **entry))  # B still open
    with pytest.raises(ValidationProblem):
        services.do_enter_reading(
            world.platform.uow(world.system()), ReadingEntry(asset_no=asset_a, **entry)
        )
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert not services.is_period_closed(uow, "2026-10")  # not for the whole utility
    province = world.staff(Post.DEPARTMENT_HEAD, "prov")
    wide = services.do_close_period(world.platform.uow(world.actor(province)), "2026-10")
    assert wide.utility_wide
    assert set(_usage(world, "2026-10")) == {a, b}  # A kept, B added


def test_bill_2_a_month_not_over_cannot_be_closed(world: World) -> None:
    head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "prov"))
    with pytest.raises(ValidationProblem) as exc:
        services.do_close_period(world.platform.uow(head), "2026-11")
    assert exc.value.field == "period"
    with pytest.raises(ValidationProblem):
        services.do_close_period(world.platform.uow(head), "2026-13")
