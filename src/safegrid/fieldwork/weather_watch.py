"""The weather ban on running work (FLD-5): high-risk orders already in the field are
asked about every few minutes (job ``fieldwork.weather_watch``); a thunderstorm or
humidity above 80 % at a site stops its order and alarms its supervisor and team leader.
If the weather service does not answer, nothing is stopped (dispatch already fails closed)
and the job run is recorded as failed so the jobs page shows it."""

from __future__ import annotations

from sqlalchemy import select

from safegrid.fieldwork import weather
from safegrid.fieldwork.alarms import raise_alarm
from safegrid.fieldwork.lifecycle import HIGH_RISK, stop_in
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.safety_models import AlarmKind
from safegrid.platform.uow import UnitOfWork

RUNNING = (WorkOrderStatus.DISPATCHED, WorkOrderStatus.ACCEPTED, WorkOrderStatus.STARTED)


def do_weather_sweep(
    uow: UnitOfWork, source: weather.WeatherSource | None = None
) -> dict[str, int]:
    with uow:
        orders = list(
            uow.session.scalars(
                select(WorkOrder)
                .where(WorkOrder.status.in_(RUNNING), WorkOrder.risk.in_(HIGH_RISK))
                .order_by(WorkOrder.id)
                .with_for_update()
            )
        )
        found = (source or weather.default_source()).conditions(
            [(o.site_lat, o.site_lon) for o in orders]
        )
        stopped = 0
        for o, c in zip(orders, found, strict=True):
            ban = c.ban()
            if ban is None:
                continue
            ban_zh, _, ban_en = ban.partition(" / ")
            why = f"天气禁止高风险作业，已停止：{ban_zh} / weather ban, work stopped (FLD-5): {ban_en or ban_zh}"
            stop_in(uow, o, why)
            raise_alarm(uow, o, AlarmKind.WEATHER, why, {"humidity": str(c.humidity)})
            stopped += 1
        if stopped:
            uow.commit()
        return {"checked": len(orders), "stopped": stopped}
