"""Positions reported by the crew's devices (FLD-3, FLD-4, FLD-6).

One set-based service takes a batch of fixes of the acting device's owner: it confirms a
high-risk order's position to dispatch (a fix within 100 m of the site before starting),
checks a running order against its route corridor (> 500 m off → alarm to the supervisor
and team leader) and, for live work, the supervisor within 3 m of the operator (else an
alarm and the order stops). A fix from the future is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from safegrid.fieldwork import high_risk
from safegrid.fieldwork.alarms import raise_alarm
from safegrid.fieldwork.geometry import Corridor, metres_between
from safegrid.fieldwork.lifecycle import load, stop_in
from safegrid.fieldwork.models import WorkOrderStatus, WorkRisk
from safegrid.fieldwork.refusals import logged
from safegrid.fieldwork.safety_models import AlarmKind, PositionFix
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

CLOCK_SKEW = timedelta(minutes=2)
SITE_METRES = 100.0
CORRIDOR_METRES = 500.0
S = WorkOrderStatus
MOVING = (S.DISPATCHED, S.ACCEPTED, S.STARTED)


@dataclasses.dataclass(frozen=True)
class FixIn:
    work_order_id: int
    lat: Decimal
    lon: Decimal
    at: datetime


@dataclasses.dataclass(frozen=True)
class FixResult:
    accepted: int
    confirmed: list[str]
    alarms: list[str]


def do_report_positions(uow: UnitOfWork, fixes: Sequence[FixIn]) -> FixResult:
    ids = sorted({f.work_order_id for f in fixes})
    with logged(uow, "field.positions_refused", "work_order", ids), uow:
        now = clock.now()
        me = uow.actor.account_id
        for f in fixes:
            if f.at.tzinfo is None:
                raise ValidationProblem("定位时间须带时区 / position time needs a zone", field="at")
            if f.at > now + CLOCK_SKEW:
                raise ValidationProblem(
                    f"定位时间 {f.at.isoformat()} 在未来 / position from the future", field="at"
                )
            if not (-90 <= f.lat <= 90 and -180 <= f.lon <= 180):
                raise ValidationProblem("坐标超出范围 / coordinates out of range", field="lat")
        orders = {o.id: o for o in load(uow, ids)}
        for o in orders.values():
            if me not in (o.assignee_id, o.supervisor_id):
                raise ValidationProblem(
                    f"工单 {o.number}：仅作业人员可上报定位 / only the crew reports positions"
                )
            if o.status not in MOVING:
                raise ConflictError(f"工单 {o.number} 状态为 {o.status.value} / not in the field")
        uow.session.add_all(
            PositionFix(
                work_order_id=f.work_order_id,
                account_id=me,
                lat=f.lat,
                lon=f.lon,
                at=f.at,
                received_at=now,
                org_unit_id=orders[f.work_order_id].org_unit_id,
            )
            for f in fixes
        )
        uow.session.flush()
        confirmed, alarms = [], []
        last = {f.work_order_id: f for f in sorted(fixes, key=lambda x: x.at)}
        fixes_now = high_risk.latest_fixes(uow, ids)
        for order_id, f in last.items():
            o = orders[order_id]
            if (
                me == o.assignee_id
                and o.risk != WorkRisk.NORMAL
                and o.status in (S.DISPATCHED, S.ACCEPTED)
                and o.position_confirmed_at is None
                and metres_between(f.lat, f.lon, o.site_lat, o.site_lon) <= SITE_METRES
            ):
                o.position_confirmed_at = now
                confirmed.append(o.number)
            if o.route and o.status in MOVING:
                off = Corridor(o.route).distance(f.lat, f.lon)
                if off > CORRIDOR_METRES:
                    raise_alarm(
                        uow,
                        o,
                        AlarmKind.GEOFENCE,
                        f"偏离计划路线 {off:.0f} m > 500 m / {off:.0f} m off the planned route",
                        {
                            "account_id": me,
                            "lat": str(f.lat),
                            "lon": str(f.lon),
                            "metres": round(off),
                        },
                    )
                    alarms.append(f"{o.number}:geofence")
            if o.risk == WorkRisk.LIVE and o.status == S.STARTED:
                gap = high_risk.supervisor_gap(fixes_now, o, now)
                if gap:
                    raise_alarm(uow, o, AlarmKind.SUPERVISOR_DISTANCE, gap, {"account_id": me})
                    stop_in(uow, o, f"带电作业监护距离 / live-work supervision: {gap}")
                    alarms.append(f"{o.number}:supervisor_distance")
        uow.audit(
            "field.positions",
            object_type="work_order",
            object_id=ids[0] if len(ids) == 1 else None,
            after={"orders": ids, "fixes": len(fixes), "confirmed": confirmed, "alarms": alarms},
        )
        uow.commit()
        return FixResult(len(fixes), confirmed, alarms)
