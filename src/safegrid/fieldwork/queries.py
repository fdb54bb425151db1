"""Read models of field work: a crew member's orders (the field app) and the safety
dashboard per unit (FLD-1..8)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select

from safegrid.customers.models import Meter, SupplyPoint
from safegrid.fieldwork.kits import kit_problem
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.rectification import Colour, Rectification
from safegrid.fieldwork.safety_models import AlarmKind, FieldAlarm, OrderCheck, ToolKit
from safegrid.fieldwork.team_results import TeamResult
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask
from safegrid.security.models import StaffAccount

MINE = (
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.STARTED,
    WorkOrderStatus.STOPPED,
    WorkOrderStatus.FINISHED,
)


@dataclasses.dataclass(frozen=True)
class FieldOrder:
    id: int
    number: str
    kind: str
    status: str
    risk: str
    planned_on: date
    window_start: datetime
    window_end: datetime
    site_lat: Decimal
    site_lon: Decimal
    meter_asset_no: str | None  # None: an installation at a site with no meter yet
    address: str | None
    checked: list[str]


def my_orders(uow: UnitOfWork) -> list[FieldOrder]:
    me = uow.actor.account_id
    with uow:
        rows = uow.session.execute(
            select(WorkOrder, Meter.asset_no, SupplyPoint.address)
            .outerjoin(Meter, Meter.id == WorkOrder.meter_id)
            .outerjoin(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
            # An order with a meter shows only with its meter visible: a contractor's
            # finished orders grant nothing (IAM-7), as before the join became outer.
            .where(or_(WorkOrder.meter_id.is_(None), Meter.id.is_not(None)))
            .where(
                or_(WorkOrder.assignee_id == me, WorkOrder.supervisor_id == me),
                WorkOrder.status.in_(MINE),
            )
            .order_by(WorkOrder.window_start, WorkOrder.id)
            .limit(200)
        ).all()
        checked: dict[int, list[str]] = {}
        for order_id, item in uow.session.execute(
            select(OrderCheck.work_order_id, OrderCheck.item).where(
                OrderCheck.work_order_id.in_([o.id for o, _a, _b in rows])
            )
        ):
            checked.setdefault(order_id, []).append(item.value)
        return [
            FieldOrder(
                o.id,
                o.number,
                o.kind.value,
                o.status.value,
                o.risk.value,
                o.planned_on,
                o.window_start,
                o.window_end,
                o.site_lat,
                o.site_lon,
                asset,
                mask("address", address),
                sorted(checked.get(o.id, [])),
            )
            for o, asset, address in rows
        ]


@dataclasses.dataclass(frozen=True)
class OpenRectification:
    id: int
    worker: str
    colour: str
    reason: str
    issued_at: datetime
    review_due_on: date | None
    retraining_hours: Decimal


def open_rectifications(uow: UnitOfWork, limit: int = 200) -> list[OpenRectification]:
    """Open rectifications in the caller's scope, the oldest review due first, then red
    (still suspended) and black; what the safety supervisor records progress on."""
    with uow:
        rows = uow.session.execute(
            select(Rectification, StaffAccount.real_name)
            .join(StaffAccount, StaffAccount.id == Rectification.worker_id)
            .where(Rectification.cleared_at.is_(None))
            .order_by(
                Rectification.review_due_on.is_(None),
                Rectification.review_due_on,
                Rectification.issued_at,
                Rectification.id,
            )
            .limit(limit)
        ).all()
        return [
            OpenRectification(
                r.id,
                name,
                r.colour.value,
                r.reason,
                r.issued_at,
                r.review_due_on,
                r.retraining_hours,
            )
            for r, name in rows
        ]


@dataclasses.dataclass
class UnitBoard:
    unit: str
    orders: dict[str, int] = dataclasses.field(default_factory=dict)
    overdue_kits: list[str] = dataclasses.field(default_factory=list)
    weather_stops: int = 0
    alarms: dict[str, int] = dataclasses.field(default_factory=dict)
    rectifications: dict[str, int] = dataclasses.field(default_factory=dict)
    red_flag: bool = False


def dashboard(uow: UnitOfWork) -> list[UnitBoard]:
    """Per unit in the caller's scope: orders by state, overdue/failed kits, weather stops,
    alarms by kind, open rectifications, the red flag of the latest published month."""
    today = clock.business_day()
    with uow:
        names = {u.id: u.name for u in uow.session.scalars(select(OrgUnit))}
        boards: dict[int, UnitBoard] = {}

        def board(unit_id: int) -> UnitBoard:
            return boards.setdefault(unit_id, UnitBoard(names.get(unit_id, str(unit_id))))

        for unit_id, status, n in uow.session.execute(
            select(WorkOrder.org_unit_id, WorkOrder.status, func.count()).group_by(
                WorkOrder.org_unit_id, WorkOrder.status
            )
        ):
            board(unit_id).orders[WorkOrderStatus(status).value] = n
        for kit in uow.session.scalars(select(ToolKit).order_by(ToolKit.number)):
            problem = kit_problem(kit, today)
            if problem:
                board(kit.org_unit_id).overdue_kits.append(problem)
        for unit_id, kind, n in uow.session.execute(
            select(FieldAlarm.org_unit_id, FieldAlarm.kind, func.count()).group_by(
                FieldAlarm.org_unit_id, FieldAlarm.kind
            )
        ):
            b = board(unit_id)
            b.alarms[AlarmKind(kind).value] = n
            if kind == AlarmKind.WEATHER:
                b.weather_stops += n
        for unit_id, colour, n in uow.session.execute(
            select(Rectification.org_unit_id, Rectification.colour, func.count())
            .where(Rectification.cleared_at.is_(None))
            .group_by(Rectification.org_unit_id, Rectification.colour)
        ):
            board(unit_id).rectifications[Colour(colour).value] = n
        for unit_id, flag in uow.session.execute(
            select(TeamResult.org_unit_id, TeamResult.red_flag).order_by(TeamResult.period)
        ):
            board(unit_id).red_flag = bool(flag)
        return [boards[k] for k in sorted(boards, key=lambda k: boards[k].unit)]
