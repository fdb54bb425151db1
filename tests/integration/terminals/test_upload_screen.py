"""BILL-2 / issue 13 item 4: a field terminal's sealed batch passes the same plausibility
screen as the entry form — an implausible reading waits for review, the rest is stored,
and the answer says how many were queued."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from safegrid.customers.models import Meter, SupplyPoint
from safegrid.platform import clock
from safegrid.readings.context import period_of_month
from safegrid.readings.models import ReadSource, RegisterRead
from safegrid.readings.route_models import ReadingReview
from tests.fixtures.billing import set_usage
from tests.integration.terminals.conftest import Field


def _steady(field: Field, asset: str) -> int:
    """``asset`` used 300 kWh in each of the last three months and was read 20 days ago
    at 1000.00 (10 kWh a day: 200 kWh expected now)."""
    w = field.world
    with w.platform.engine.begin() as conn:
        meter_id, unit, account = conn.execute(
            select(Meter.id, Meter.org_unit_id, SupplyPoint.account_id)
            .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
            .where(Meter.asset_no == asset)
        ).one()
        conn.execute(
            insert(RegisterRead).values(
                meter_id=meter_id,
                read_on=clock.business_day() - timedelta(days=20),
                total_register=Decimal("1000.00"),
                estimated=False,
                source=ReadSource.MANUAL.value,
                entered_by="fixture",
                org_unit_id=unit,
            )
        )
    today = clock.business_day()
    month = (today.year - 1970) * 12 + today.month - 1
    for back in (1, 2, 3):
        set_usage(w, meter_id, account, period_of_month(month - back), "300")
    return int(meter_id)


def test_bill_2_a_terminal_batch_queues_the_implausible_reading_and_stores_the_rest(
    field: Field,
) -> None:
    other = field.asset_of(field.world.meter(field.world.customer("stationA"), _area(field)))
    jump_id = _steady(field, field.asset_no)
    steady_id = _steady(field, other)
    terminal = field.terminal(field.register())
    result = terminal.upload(
        [field.reading("2900.00"), field.reading("1200.00", other)],  # 95 vs 10 kWh a day
        batch_id="batch-screen-1",
    )
    assert (result["readings"], result["queued"], result["queued_counts"]) == (1, 1, {"jump": 1})
    with field.world.platform.engine.connect() as conn:
        stored = conn.execute(select(RegisterRead.meter_id, RegisterRead.total_register)).all()
        review = conn.execute(
            select(ReadingReview.meter_id, ReadingReview.kinds, ReadingReview.entered_by)
        ).one()
    assert (steady_id, Decimal("1200.00")) in [tuple(r) for r in stored]
    assert (jump_id, Decimal("2900.00")) not in [tuple(r) for r in stored]
    assert tuple(review) == (jump_id, "jump", field.reader.username)


def _area(field: Field) -> int:
    with field.world.platform.engine.connect() as conn:
        return int(
            conn.scalar(select(Meter.reading_area_id).where(Meter.asset_no == field.asset_no))
        )
