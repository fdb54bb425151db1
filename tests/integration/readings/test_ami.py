"""BILL-2: the AMI interval feed — 96 quarter-hours a day → the day's register, energy and
peak/valley split, set-based in DuckDB; raw intervals kept in the Parquet store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.readings import ami, services
from safegrid.readings.daily_totals import UnitDailyLoad
from safegrid.readings.models import DailyReading, ImportBatch
from safegrid.security.policy import Post
from tests.fixtures.world import World
from tests.integration.readings.conftest import Meters


@pytest.fixture(autouse=True)
def _ami_dir(platform: Platform, tmp_path: Path) -> None:
    platform.settings.ami_dir = tmp_path / "ami"


def _day(asset: str, day: date, kwh: str = "0.1000", night: str = "0.0500") -> list[dict]:
    start = datetime.combine(day, datetime.min.time())
    rows = []
    for slot in range(96):
        ts = start + timedelta(minutes=15 * slot)
        rows.append(
            {"asset_no": asset, "interval_start": ts, "kwh": kwh if 32 <= slot <= 87 else night}
        )
    return rows


def _parquet(path: Path, rows: list[dict]) -> Path:
    pq.write_table(
        pa.table(
            {
                "asset_no": [r["asset_no"] for r in rows],
                "interval_start": pa.array([r["interval_start"] for r in rows], pa.timestamp("s")),
                "kwh": [float(r["kwh"]) for r in rows],
            }
        ),
        path,
    )
    return path


def test_bill_2_ami_96_point_day_becomes_daily_register_with_peak_valley_split(
    world: World, meters: Meters, platform: Platform, tmp_path: Path
) -> None:
    meter_id, asset = meters.make(tou=True, multiplier=10)
    meters.stored_read(meter_id, date(2026, 10, 31), "99999.00", peak="60000.00", valley="39999.00")
    rows = _day(asset, date(2026, 11, 1)) + _day(asset, date(2026, 11, 2), "0.2000", "0.0100")
    path = _parquet(tmp_path / "feed.parquet", rows)
    actor = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    report = services.do_ingest_ami(platform.uow(actor), "feed.parquet", path)
    assert report.accepted, report.errors
    assert (report.rows, report.readings) == (192, 2)
    with platform.engine.connect() as conn:
        days = conn.execute(
            select(
                DailyReading.day,
                DailyReading.register_kwh,
                DailyReading.kwh,
                DailyReading.peak_kwh,
                DailyReading.valley_kwh,
                DailyReading.flags,
            ).order_by(DailyReading.day)
        ).all()
    # Day 1: 56 peak quarter-hours × 0.1 = 5.60, 40 valley × 0.05 = 2.00 → 7.60 units;
    # the register passes 99999.99 and rolls over; energy × 10 (multiplier).
    assert [tuple(d) for d in days] == [
        (
            date(2026, 11, 1),
            Decimal("6.60"),
            Decimal("76.00"),
            Decimal("56.00"),
            Decimal("20.00"),
            "rollover",
        ),
        (
            date(2026, 11, 2),
            Decimal("18.20"),
            Decimal("116.00"),
            Decimal("112.00"),
            Decimal("4.00"),
            None,
        ),
    ]
    with platform.uow(actor, readonly=True) as uow:
        points = ami.curve(uow, platform.settings.ami_dir, meter_id, date(2026, 11, 1))
    assert len(points) == 96
    assert sum(kwh for _, kwh in points) == Decimal("7.6000")


def test_bill_2_ami_incomplete_or_bad_intervals_write_nothing(
    world: World, meters: Meters, platform: Platform, tmp_path: Path
) -> None:
    meter_id, asset = meters.make()
    meters.stored_read(meter_id, date(2026, 10, 31), "100.00")
    rows = _day(asset, date(2026, 11, 1))[:-1]  # 95 intervals
    rows += _day(asset, date(2026, 11, 2))
    rows[100]["kwh"] = "-0.5"
    rows[101]["interval_start"] = rows[101]["interval_start"] + timedelta(minutes=7)
    lines = ["asset_no,interval_start,kwh"] + [
        f"{r['asset_no']},{r['interval_start']:%Y-%m-%d %H:%M:%S},{r['kwh']}" for r in rows
    ]
    actor = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    report = services.do_ingest_ami(
        platform.uow(actor), "feed.csv", ("\n".join(lines) + "\n").encode()
    )
    assert not report.accepted
    found = {(e.row, e.field, e.code) for e in report.errors}
    assert (2, "interval_start", "incomplete_day") in found
    assert (102, "kwh", "negative") in found
    assert (103, "interval_start", "misaligned") in found
    with platform.engine.connect() as conn:
        assert conn.execute(select(DailyReading.meter_id)).first() is None
        assert conn.execute(select(ImportBatch.id)).first() is None
    assert (
        not list(platform.settings.ami_dir.glob("*.parquet"))
        if platform.settings.ami_dir.exists()
        else True
    )


def test_bill_2_ami_meter_without_starting_register_is_refused(
    world: World, meters: Meters, platform: Platform, tmp_path: Path
) -> None:
    _, asset = meters.make()
    path = _parquet(tmp_path / "feed.parquet", _day(asset, date(2026, 11, 1)))
    actor = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    report = services.do_ingest_ami(platform.uow(actor), "feed.parquet", path)
    assert [(e.field, e.code) for e in report.errors] == [("asset_no", "no_start")]


def test_ami_readings_add_to_their_units_daily_totals(
    world: World, meters: Meters, platform: Platform, tmp_path: Path
) -> None:
    """Issue 13: the region's daily load (the forecast page) is read from the units' daily
    totals, which the feed's writer adds to in its own transaction — a second feed for a day
    already counted adds to it."""
    first, first_asset = meters.make()
    second, second_asset = meters.make()
    for meter_id in (first, second):
        meters.stored_read(meter_id, date(2026, 10, 31), "100.00")
    actor = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    feeds = [
        _day(first_asset, date(2026, 11, 1)) + _day(first_asset, date(2026, 11, 2)),
        _day(second_asset, date(2026, 11, 1))
        + _day(second_asset, date(2026, 11, 2), "0.2", "0.01"),
    ]
    for n, rows in enumerate(feeds):
        path = _parquet(tmp_path / f"feed{n}.parquet", rows)
        assert services.do_ingest_ami(platform.uow(actor), path.name, path).accepted
    with platform.engine.connect() as conn:
        totals = conn.execute(
            select(UnitDailyLoad.org_unit_id, UnitDailyLoad.day, UnitDailyLoad.kwh).order_by(
                UnitDailyLoad.day
            )
        ).all()
    unit = world.units["stationA"]
    assert [tuple(t) for t in totals] == [
        (unit, date(2026, 11, 1), Decimal("7.60") * 2),
        (unit, date(2026, 11, 2), Decimal("7.60") + Decimal("11.60")),
    ]
