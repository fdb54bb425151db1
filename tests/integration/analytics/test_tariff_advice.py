"""ANA-4 advice worth money: each account's own year of peak/valley readings priced under
every option of its category; a customer who would save is texted once, and the advice
beats one-size-fits-all advice measured in the same run."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from safegrid.analytics.dashboards import tariff_advice
from safegrid.analytics.models import TariffAdvice
from safegrid.analytics.tariff_push import run_tariff_advice
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.readings.models import DailyReading
from safegrid.security.policy import Post
from tests.fixtures.billing import new_account, seed_tariffs
from tests.fixtures.world import World

FIRST = date(2025, 11, 1)  # twelve full months: 2025-11 … 2026-10
DAYS = (date(2026, 11, 1) - FIRST).days


def _readings(world: World, meter: int, unit: str, kwh: float, peak_share: float) -> None:
    peak = round(kwh * peak_share, 2)
    rows = [
        {
            "meter_id": meter,
            "day": FIRST + timedelta(days=d),
            "register_kwh": Decimal(f"{kwh * (d + 1):.2f}"),
            "kwh": Decimal(f"{kwh:.2f}"),
            "peak_kwh": Decimal(f"{peak:.2f}"),
            "valley_kwh": Decimal(f"{kwh - peak:.2f}"),
            "source": "ami",
            "org_unit_id": world.units[unit],
        }
        for d in range(DAYS)
    ]
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(insert(DailyReading), rows)
        uow.audit("readings.seeded_for_test", object_type="daily_readings")
        uow.commit()


def test_ana_4_customers_who_would_pay_less_on_another_tariff_are_texted_once(
    world: World,
) -> None:
    seed_tariffs(world)
    shop, shop_meter = new_account(world, "stationA", category="commercial", tou=True)
    _home, home_meter = new_account(world, "stationA", tou=True)
    night_owl, owl_meter = new_account(world, "stationA", tou=True)
    _readings(world, shop_meter, "stationA", 30.0, 0.75)  # peak-heavy shop: flat is cheaper
    _readings(world, home_meter, "stationA", 10.0, 0.55)  # peak/valley pays: stays
    _readings(world, owl_meter, "stationA", 10.0, 0.95)  # nearly all peak: bands cost more
    clock.set_clock(
        clock.FixedClock(datetime.combine(date(2026, 11, 10), time(4), tzinfo=BUSINESS_TZ))
    )

    first = run_tariff_advice(world.platform, world.system())
    again = run_tariff_advice(world.platform, world.system())

    assert (first["period"], first["accounts"], first["pushed"], again["pushed"]) == (
        "2026-10",
        3,
        2,
        0,
    )
    with world.platform.uow(world.system(), readonly=True) as uow:
        advice = {a.account_id: a for a in uow.session.scalars(select(TariffAdvice))}
        texts = uow.session.scalars(
            select(Notification).where(Notification.topic == "analytics.tariff_advice")
        ).all()
    assert set(advice) == {shop, night_owl} and len(texts) == 2
    days = Decimal(DAYS)
    # Commercial: TOU 1.0178 × 75 % + 0.3140 × 25 % against flat 0.6664, on 30 kWh a day.
    expected_shop = (Decimal("1.0178") * Decimal("22.50") + Decimal("0.3140") * Decimal("7.50")
                     - Decimal("0.6664") * 30) * days  # fmt: skip
    assert abs(advice[shop].saving - expected_shop) <= Decimal("0.05")
    assert advice[shop].advised_code == "ZJ-COM" and advice[night_owl].advised_code == "ZJ-RES"
    assert any("每年约可节省" in t.body for t in texts)
    # Per-account advice saves more than telling each current option's group one thing.
    assert Decimal(first["saving_yuan"]) > Decimal(first["blanket_saving_yuan"]) > 0
    # The hall agent of another county sees none of it (ORG-2).
    outsider = world.actor(world.staff(Post.HALL_AGENT, "countyB"))
    assert tariff_advice(world.platform.uow(outsider, readonly=True), None) == []
    agent = world.actor(world.staff(Post.HALL_AGENT, "countyA"))
    assert len(tariff_advice(world.platform.uow(agent, readonly=True), None)) == 2
