"""BILL-2 / issue 13 item 4: readings arriving by file import and by the AMI feed pass the
same plausibility screen as the reader's entry form — an implausible reading waits for
review instead of being stored silently, the rest of the batch is stored, and the report
says how many were queued and why."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.customers.models import Meter, SupplyPoint
from safegrid.readings import services
from safegrid.readings.models import DailyReading, ReadSource, RegisterRead
from safegrid.readings.review_decisions import do_decide_review
from safegrid.readings.route_models import ReadingReview, ReviewStatus
from safegrid.readings.schemas import ReadingEntry
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.billing import set_usage
from tests.fixtures.world import World
from tests.integration.readings.conftest import Meters


@pytest.fixture(autouse=True)
def _ami_dir(platform: Platform, tmp_path: Path) -> None:
    platform.settings.ami_dir = tmp_path / "ami"


def _steady(world: World, meters: Meters) -> tuple[int, str]:
    """A meter using about 10 kWh a day in the same season last year, read 2026-10-31 at
    1000.00 (its November band: roughly 7–13 kWh a day over ten days or more)."""
    meter_id, asset = meters.make()
    with world.platform.engine.connect() as conn:
        account = conn.execute(
            select(SupplyPoint.account_id).join(Meter).where(Meter.id == meter_id)
        ).scalar_one()
    for period, kwh in (("2025-10", "300"), ("2025-11", "310"), ("2025-12", "320")):
        set_usage(world, meter_id, account, period, kwh)
    meters.stored_read(meter_id, date(2026, 10, 31), "1000.00")
    return meter_id, asset


def _reviews(world: World) -> list[ReadingReview]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(uow.session.scalars(select(ReadingReview).order_by(ReadingReview.id)))


def _reads(world: World, meter_id: int) -> list[tuple[date, Decimal, str]]:
    with world.platform.engine.connect() as conn:
        rows = conn.execute(
            select(RegisterRead.read_on, RegisterRead.total_register, RegisterRead.source)
            .where(RegisterRead.meter_id == meter_id)
            .order_by(RegisterRead.read_on)
        ).all()
    return [(d, t, str(s)) for d, t, s in rows]


def test_bill_2_an_import_queues_implausible_readings_and_stores_the_rest(
    world: World, meters: Meters
) -> None:
    normal_id, normal = _steady(world, meters)
    jump_id, jump = _steady(world, meters)
    zero_id, zero = _steady(world, meters)
    waiting_id, waiting = _steady(world, meters)
    head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    # A reading of ``waiting`` already waits for review (confirmed by its reader).
    services.do_enter_reading(
        world.platform.uow(head),
        ReadingEntry(
            asset_no=waiting,
            read_on=date(2026, 11, 5),
            total=Decimal("1900.00"),
            confirm_reason="表盘确认，客户新装空调",
        ),
    )
    data = (
        "asset_no,read_on,total\n"
        f"{normal},2026-11-10,1100.00\n"  # row 2: 10 kWh a day, plausible
        f"{jump},2026-11-10,1900.00\n"  # row 3: 90 kWh a day, a jump
        f"{jump},2026-11-12,1920.00\n"  # row 4: follows the held reading
        f"{zero},2026-11-10,1000.00\n"  # row 5: no use in ten days
        f"{waiting},2026-11-10,1100.00\n"  # row 6: its meter waits for review
    ).encode()
    report = services.do_import_readings(world.platform.uow(head), "day.csv", data)

    assert report.accepted and report.readings == 1
    assert (report.queued, report.queued_counts) == (2, {"jump": 1, "zero": 1})
    assert (report.held, report.held_counts) == (2, {"after_queued": 1, "review_waiting": 1})
    assert [(r.row, r.code) for r in report.held_rows] == [
        (3, "jump"),
        (4, "after_queued"),
        (5, "zero"),
        (6, "review_waiting"),
    ]
    assert _reads(world, normal_id)[-1] == (date(2026, 11, 10), Decimal("1100.00"), "import")
    assert len(_reads(world, jump_id)) == len(_reads(world, zero_id)) == 1  # the fixture's
    assert len(_reads(world, waiting_id)) == 1
    queued = {r.meter_id: r for r in _reviews(world) if r.source == ReadSource.IMPORT}
    assert set(queued) == {jump_id, zero_id}
    held = queued[jump_id]
    assert (held.kinds, held.batch_id, held.entered_by) == ("jump", report.batch_id, head.username)
    assert (held.previous_register, held.total_register) == (Decimal("1000.00"), Decimal("1900.00"))
    assert held.low is not None and held.high is not None and held.high < Decimal("1900.00")

    # The supervisor accepts it: stored as the import would have stored it.
    leader = world.actor(world.staff(Post.TEAM_LEADER, "countyA"))
    do_decide_review(world.platform.uow(leader), held.id, True, "")
    assert _reads(world, jump_id)[-1] == (date(2026, 11, 10), Decimal("1900.00"), "import")


def _day(asset: str, day: date, kwh: str) -> list[str]:
    start = datetime.combine(day, datetime.min.time())
    return [f"{asset},{start + timedelta(minutes=15 * k):%Y-%m-%d %H:%M},{kwh}" for k in range(96)]


def test_bill_2_an_ami_feed_queues_an_implausible_day_and_stores_the_rest(
    world: World, meters: Meters, platform: Platform
) -> None:
    steady_id, steady = _steady(world, meters)
    jump_id, jump = _steady(world, meters)
    lines = ["asset_no,interval_start,kwh"]
    for d in (1, 2, 3):
        lines += _day(steady, date(2026, 11, d), "0.1000")  # 9.6 kWh a day
        # 11-02: 96 kWh in a day; 11-03 continues the held day's register
        lines += _day(jump, date(2026, 11, d), "1.0000" if d == 2 else "0.1000")
    head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    feed = ("\n".join(lines) + "\n").encode()
    report = services.do_ingest_ami(platform.uow(head), "feed.csv", feed)

    assert report.accepted and report.readings == 4  # steady's three days, jump's first
    assert (report.queued, report.queued_counts) == (1, {"jump": 1})
    assert report.held_counts == {"after_queued": 1}
    (held,) = [r for r in _reviews(world) if r.meter_id == jump_id]
    assert (held.source, held.read_on, held.kwh) == (
        ReadSource.AMI,
        date(2026, 11, 2),
        Decimal("96.00"),
    )
    assert held.total_register == Decimal("1105.60")  # 1000 + 9.60 + 96.00

    leader = world.actor(world.staff(Post.TEAM_LEADER, "countyA"))
    do_decide_review(world.platform.uow(leader), held.id, True, "")
    with platform.engine.connect() as conn:
        days = conn.execute(
            select(DailyReading.day, DailyReading.register_kwh, DailyReading.kwh)
            .where(DailyReading.meter_id == jump_id)
            .order_by(DailyReading.day)
        ).all()
    assert [tuple(d) for d in days] == [
        (date(2026, 11, 1), Decimal("1009.60"), Decimal("9.60")),
        (date(2026, 11, 2), Decimal("1105.60"), Decimal("96.00")),
    ]
    with platform.uow(head, readonly=True) as uow:
        status = uow.session.scalar(select(ReadingReview.status).where(ReadingReview.id == held.id))
    assert status == ReviewStatus.ACCEPTED
    with platform.engine.connect() as conn:
        stored = conn.execute(select(DailyReading.day).where(DailyReading.meter_id == steady_id))
        assert len(stored.all()) == 3


def test_bill_2_the_console_import_report_says_what_waits_for_review(
    world: World, meters: Meters
) -> None:
    _jump_id, jump = _steady(world, meters)
    client = TestClient(app_for(world.platform))
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    client.cookies.set(SESSION_COOKIE, world.token(head, "console"))
    data = f"asset_no,read_on,total\n{jump},2026-11-10,1900.00\n".encode()
    page = client.post("/readings/import", files={"file": ("j.csv", data, "text/csv")})
    assert page.status_code == 200
    assert 'data-testid="import-queued"' in page.text and "电量突增" in page.text
