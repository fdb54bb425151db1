"""ANA-1 in the utility: the monthly scoring opens inspection work orders for each unit's
top suspects (once), and the inspector's finding becomes a training label."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from safegrid.analytics.artefacts import ModelArtefact
from safegrid.analytics.dashboards import forecast_vs_actual, theft_suspects
from safegrid.analytics.models import AnalyticsModel, InspectionResult, TheftScore
from safegrid.analytics.regional import forecast_load
from safegrid.analytics.theft import model as theft_model
from safegrid.analytics.theft.inspections import (
    do_record_inspection,
    do_score_month,
    labelled_meters,
)
from safegrid.fieldwork.models import WorkOrder, WorkOrderKind
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.readings import daily_totals
from safegrid.readings.models import DailyReading
from safegrid.security.policy import Post
from tests.fixtures.consumption import START, daily_frame, daily_matrix
from tests.fixtures.world import World

DAYS = 731


@pytest.fixture(scope="module")
def artefact() -> ModelArtefact:
    return theft_model.train(daily_frame(customers=60, days=DAYS, seed=9), copies=1, rounds=60)


def _meters_with_readings(world: World, unit: str, kwh: np.ndarray) -> list[int]:
    customer = world.customer(unit)
    area = world.reading_area(unit)
    meters = [world.meter(customer, area) for _ in range(len(kwh))]
    rows = [
        {
            "meter_id": meter,
            "day": START + timedelta(days=d),
            "register_kwh": Decimal("0"),
            "kwh": Decimal(f"{kwh[i, d]:.2f}"),
            "source": "ami",
            "org_unit_id": world.units[unit],
        }
        for i, meter in enumerate(meters)
        for d in range(kwh.shape[1])
    ]
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(insert(DailyReading), rows)
        # What a writer of daily readings adds to its units' daily totals (the forecast's).
        daily_totals.add(
            uow.session.connection(),
            np.full(len(rows), world.units[unit]),
            np.array([(r["day"] - daily_totals.EPOCH).days for r in rows]),
            np.array([int(r["kwh"] * 100) for r in rows]),
        )
        uow.audit("readings.seeded_for_test", object_type="daily_readings")
        uow.commit()
    return meters


def test_ana_1_monthly_scoring_opens_inspections_for_each_units_top_suspect(
    world: World, artefact: ModelArtefact, tmp_path: Path
) -> None:
    kwh = daily_matrix(16, DAYS, seed=21)
    kwh[0, -150:] = 0.0  # unit A's thief: nothing read for five months
    kwh[8, -200:] = kwh[8, -200:].mean()  # unit B's thief: the flat mean
    meters_a = _meters_with_readings(world, "stationA", kwh[:8])
    meters_b = _meters_with_readings(world, "stationB", kwh[8:])
    period = f"{START + timedelta(days=DAYS - 1):%Y-%m}"
    actor = world.system()

    result = do_score_month(
        world.platform, actor, period, artefact, tmp_path / "t.json", top_per_unit=1
    )
    again = do_score_month(
        world.platform, actor, period, artefact, tmp_path / "t.json", top_per_unit=1
    )

    assert result["meters"] == 16 and result["orders"] == 2
    assert again["orders"] == 0
    with world.platform.uow(actor, readonly=True) as uow:
        orders = uow.session.scalars(select(WorkOrder)).all()
        scores = uow.session.scalars(select(TheftScore).order_by(TheftScore.unit_rank)).all()
        model = uow.session.scalars(select(AnalyticsModel)).one()
    assert {o.meter_id for o in orders} == {meters_a[0], meters_b[0]}
    assert all(o.kind == WorkOrderKind.INSPECT for o in orders)
    assert len(scores) == 16 and {s.model_id for s in scores} == {model.id}
    assert (
        model.version == artefact.version
        and model.training_data_sha256 == artefact.training_data_sha256
    )
    top = next(s for s in scores if s.meter_id == meters_a[0])
    assert top.unit_rank == 1 and "zero" in top.reason and top.work_order_id is not None

    do_record_inspection(world.platform.uow(actor), top.id, InspectionResult.THEFT)
    with pytest.raises(ConflictError):
        do_record_inspection(world.platform.uow(actor), top.id, InspectionResult.CLEAN)
    with world.platform.uow(actor, readonly=True) as uow:
        assert labelled_meters(uow) == {meters_a[0]: 1}
    assert date.fromisoformat(f"{period}-01") > START

    # The console's suspects page (ANA-5): a checker of county A sees his unit's suspects
    # only, each with its reason, the model version and the inspection's finding.
    checker = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    page = theft_suspects(world.platform.uow(checker, readonly=True), None, top=2)
    assert page.period == period and [u.id for u, _ in page.units] == [world.units["stationA"]]
    first = page.units[0][1][0]
    assert (first.score_id, first.model_version, first.result) == (top.id, model.version, "theft")
    assert first.work_order is not None and len(page.units[0][1]) == 2


def test_ana_2_regional_load_forecast_from_own_readings_with_intervals(world: World) -> None:
    kwh = daily_matrix(6, DAYS, seed=4)
    _meters_with_readings(world, "stationA", kwh[:4])
    _meters_with_readings(world, "stationB", kwh[4:])
    county_a = forecast_load(world.platform.uow(world.system()), world.units["countyA"], 14)
    everything = forecast_load(world.platform.uow(world.system()), None, 14)
    assert len(county_a.days) == 14 and county_a.days[0] == START + timedelta(days=DAYS)
    assert all(
        lo <= v <= hi
        for lo, v, hi in zip(county_a.lower, county_a.kwh, county_a.upper, strict=True)
    )
    recent_a = np.mean([v for _, v in county_a.history[-28:]])
    assert abs(np.mean(county_a.kwh) / recent_a - 1) < 0.3
    assert np.mean(everything.kwh) > np.mean(county_a.kwh)  # county B's meters on top
    with pytest.raises(ValidationProblem, match="not enough history"):
        forecast_load(world.platform.uow(world.system()), world.units["hallA"], 28)
    # The console's check (ANA-5): the forecast made 14 days before the last reading,
    # beside what was then read.
    check = forecast_vs_actual(world.platform.uow(world.system()), world.units["countyA"], 14)
    assert check is not None and len(check.forecast) == len(check.actual) == 14
    assert check.days[-1] == START + timedelta(days=DAYS - 1)
    assert check.mape is not None and check.mape < 30
    assert forecast_vs_actual(world.platform.uow(world.system()), world.units["hallA"], 14) is None
