"""FLD-3 two preparations two reports; FLD-4 live work supervisor within 3 m (device
positions) before and during; FLD-5 weather ban through the sandbox weather service over
HTTP; FLD-6 geofence corridor; positions from the future refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from safegrid.fieldwork import high_risk, lifecycle
from safegrid.fieldwork.checklist import do_record_checks
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus, WorkRisk
from safegrid.fieldwork.positions import FixIn, do_report_positions
from safegrid.fieldwork.safety_models import FieldAlarm, PositionFix
from safegrid.fieldwork.weather import HttpWeather, WeatherUnavailable
from safegrid.fieldwork.weather_watch import do_weather_sweep
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid_sandbox.weather.server import WeatherServer
from tests.fixtures.field import SITE, Crew, full_checklist

TOMORROW = timedelta(days=1)
# ~0.00001° of latitude is 1.1 m.
NEAR = SITE[0] + Decimal("0.000018")  # 2 m north
APART = SITE[0] + Decimal("0.000045")  # 5 m north


def _count(crew: Crew, model: type, **where: object) -> int:
    with crew.world.platform.engine.connect() as conn:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return int(conn.execute(stmt).scalar_one())


def _status(crew: Crew, order_id: int) -> WorkOrderStatus:
    with crew.world.platform.engine.connect() as conn:
        return WorkOrderStatus(
            conn.execute(select(WorkOrder.status).where(WorkOrder.id == order_id)).scalar_one()
        )


def _storm(server: WeatherServer, **area: object) -> None:
    body = {"lat": str(SITE[0]), "lon": str(SITE[1]), "radius_km": 3, **area}
    httpx.put(f"{server.url}/v1/areas/fuyang", json=body).raise_for_status()


def _planned_high_risk(crew: Crew, fixed_now: clock.FixedClock, risk: WorkRisk) -> int:
    """A high-risk order for tomorrow, reported today and prepared; the clock then moves
    to tomorrow 10:00 Beijing."""
    order = crew.order(risk=risk, day=clock.business_day() + TOMORROW)
    high_risk.do_report_ahead(crew.uow(crew.leader), [order])
    high_risk.do_prepare(crew.uow(crew.leader), [order], high_risk.PREPARATIONS)
    fixed_now.advance(TOMORROW)
    return order


def _fix(crew: Crew, who: str, order: int, lat: Decimal, lon: Decimal = SITE[1]) -> list[str]:
    staff = getattr(crew, who)
    result = do_report_positions(crew.uow(staff), [FixIn(order, lat, lon, clock.now())])
    return result.alarms


def test_fld_3_dispatch_needs_day_ahead_report_and_preparations(
    crew: Crew, fixed_now: clock.FixedClock, weather_server: WeatherServer
) -> None:
    source = HttpWeather(weather_server.url)
    same_day = crew.order(risk=WorkRisk.HIGH)
    with pytest.raises(ValidationProblem, match="a day ahead"):
        high_risk.do_report_ahead(crew.uow(crew.leader), [same_day])
    with pytest.raises(ValidationProblem, match="not reported a day ahead"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [same_day], source)
    order = crew.order(risk=WorkRisk.HIGH, day=clock.business_day() + TOMORROW)
    high_risk.do_report_ahead(crew.uow(crew.leader), [order])
    with pytest.raises(ValidationProblem, match="rope"):
        high_risk.do_prepare(crew.uow(crew.leader), [order], ["belt", "anti_slip_shoes"])
    with pytest.raises(ValidationProblem, match="preparations not confirmed"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order], source)
    high_risk.do_prepare(crew.uow(crew.leader), [order], high_risk.PREPARATIONS)
    fixed_now.advance(TOMORROW)
    lifecycle.do_dispatch(crew.uow(crew.leader), [order], source)
    lifecycle.do_advance(crew.uow(crew.operator), "accept", [order])
    do_record_checks(crew.uow(crew.operator), full_checklist(order))
    with pytest.raises(ValidationProblem, match="position not confirmed"):
        lifecycle.do_advance(crew.uow(crew.operator), "start", [order])
    _fix(crew, "operator", order, SITE[0] + Decimal("0.002"))  # 220 m away: not confirmed
    with pytest.raises(ValidationProblem, match="position not confirmed"):
        lifecycle.do_advance(crew.uow(crew.operator), "start", [order])
    _fix(crew, "operator", order, NEAR)
    lifecycle.do_advance(crew.uow(crew.operator), "start", [order])
    assert _status(crew, order) == WorkOrderStatus.STARTED


def test_fld_4_live_work_supervisor_within_3_m_before_and_during(
    crew: Crew, fixed_now: clock.FixedClock, weather_server: WeatherServer
) -> None:
    order = _planned_high_risk(crew, fixed_now, WorkRisk.LIVE)
    lifecycle.do_dispatch(crew.uow(crew.leader), [order], HttpWeather(weather_server.url))
    lifecycle.do_advance(crew.uow(crew.operator), "accept", [order])
    do_record_checks(crew.uow(crew.operator), full_checklist(order))
    _fix(crew, "operator", order, SITE[0])
    _fix(crew, "supervisor", order, APART)
    with pytest.raises(ValidationProblem, match=r"supervisor 5\.0 m from the operator"):
        lifecycle.do_advance(crew.uow(crew.operator), "start", [order])
    _fix(crew, "supervisor", order, NEAR)
    lifecycle.do_advance(crew.uow(crew.operator), "start", [order])
    assert _fix(crew, "operator", order, SITE[0]) == []
    fixed_now.advance(timedelta(minutes=1))
    alarms = _fix(crew, "supervisor", order, SITE[0] + Decimal("0.0001"))  # 11 m away
    assert alarms and "supervisor_distance" in alarms[0]
    assert _status(crew, order) == WorkOrderStatus.STOPPED
    assert _count(crew, FieldAlarm, kind="supervisor_distance") == 1


def test_fld_4_live_work_without_supervisor_is_not_dispatched(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    order = crew.order(risk=WorkRisk.LIVE, supervisor=False)
    with pytest.raises(ValidationProblem, match="needs a supervisor"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order])


@pytest.mark.parametrize(
    ("area", "message"),
    [({"thunderstorm": True}, "thunderstorm"), ({"humidity": 85}, "humidity 85")],
)
def test_fld_5_weather_ban_blocks_high_risk_dispatch(
    crew: Crew,
    fixed_now: clock.FixedClock,
    weather_server: WeatherServer,
    area: dict[str, object],
    message: str,
) -> None:
    source = HttpWeather(weather_server.url)
    order = _planned_high_risk(crew, fixed_now, WorkRisk.HIGH)
    normal = crew.order()
    _storm(weather_server, **area)
    with pytest.raises(ValidationProblem, match=message):
        lifecycle.do_dispatch(crew.uow(crew.leader), [normal, order], source)
    assert _status(crew, order) == WorkOrderStatus.ASSIGNED
    assert _status(crew, normal) == WorkOrderStatus.ASSIGNED  # all or nothing
    lifecycle.do_dispatch(crew.uow(crew.leader), [normal], source)  # normal work goes out
    assert _count(crew, AuditEntry, action="workorder.dispatch_refused") == 1
    httpx.delete(f"{weather_server.url}/v1/areas/fuyang").raise_for_status()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order], source)


def test_fld_5_weather_unknown_fails_closed(crew: Crew, fixed_now: clock.FixedClock) -> None:
    order = _planned_high_risk(crew, fixed_now, WorkRisk.HIGH)
    with pytest.raises(WeatherUnavailable, match="did not answer"):
        lifecycle.do_dispatch(crew.uow(crew.leader), [order], HttpWeather("http://127.0.0.1:9"))
    assert _status(crew, order) == WorkOrderStatus.ASSIGNED


def test_fld_5_running_high_risk_order_stopped_with_alarm(
    crew: Crew, fixed_now: clock.FixedClock, weather_server: WeatherServer
) -> None:
    source = HttpWeather(weather_server.url)
    order = _planned_high_risk(crew, fixed_now, WorkRisk.HIGH)
    lifecycle.do_dispatch(crew.uow(crew.leader), [order], source)
    assert do_weather_sweep(crew.uow(crew.leader), source) == {"checked": 1, "stopped": 0}
    _storm(weather_server, humidity=85)
    assert do_weather_sweep(crew.uow(crew.leader), source) == {"checked": 1, "stopped": 1}
    assert _status(crew, order) == WorkOrderStatus.STOPPED
    assert _count(crew, FieldAlarm, kind="weather") == 1


def test_fld_6_off_route_more_than_500_m_alarms_supervisor_and_leader(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    lon0 = float(SITE[1])
    route = [[lon0 - 0.02, float(SITE[0])], [lon0, float(SITE[0])]]  # ~1.9 km due west
    order = crew.order(route=route)
    with crew.world.platform.uow(crew.world.system()) as uow:
        sup = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.id == crew.supervisor.id)
        ).one()
        sup.mobile = "13900000001"
        uow.audit("staff.mobile", object_type="staff_account", object_id=sup.id)
        uow.commit()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    # 400 m north of the road: inside the corridor
    assert (
        _fix(crew, "operator", order, SITE[0] + Decimal("0.0036"), SITE[1] - Decimal("0.01")) == []
    )
    # 600 m north: outside
    alarms = _fix(crew, "operator", order, SITE[0] + Decimal("0.0054"), SITE[1] - Decimal("0.01"))
    assert alarms == [f"{_number(crew, order)}:geofence"]
    with crew.world.platform.engine.connect() as conn:
        told = conn.execute(select(FieldAlarm.told)).scalar_one()
    assert told == [crew.supervisor.username, crew.leader.username]
    assert _count(crew, Notification, topic="field.geofence") == 1  # the one with a mobile


def _number(crew: Crew, order_id: int) -> str:
    with crew.world.platform.engine.connect() as conn:
        return str(
            conn.execute(select(WorkOrder.number).where(WorkOrder.id == order_id)).scalar_one()
        )


def test_fld_6_positions_from_the_future_refused_logged(crew: Crew) -> None:
    order = crew.order()
    lifecycle.do_dispatch(crew.uow(crew.leader), [order])
    ahead = clock.now() + timedelta(minutes=30)
    with pytest.raises(ValidationProblem, match="from the future"):
        do_report_positions(
            crew.uow(crew.operator),
            [FixIn(order, SITE[0], SITE[1], clock.now()), FixIn(order, SITE[0], SITE[1], ahead)],
        )
    assert _count(crew, PositionFix) == 0
    assert _count(crew, AuditEntry, action="field.positions_refused") == 1
