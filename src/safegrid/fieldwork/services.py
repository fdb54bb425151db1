"""Work order use cases: open (type, site + route, crew, risk, window), plan the crew,
close; a contractor's service end date (IAM-7). Dispatch and the field steps after it are
in :mod:`safegrid.fieldwork.lifecycle`."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from safegrid.customers.models import Meter, SupplyPoint
from safegrid.fieldwork.models import (
    LIVE_STATUSES,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
    WorkRisk,
)
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask, snapshot
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post


@dataclasses.dataclass(frozen=True)
class NewWorkOrder:
    kind: WorkOrderKind
    # None only for an installation at a site with no meter yet (a new connection), or the
    # repair its checklist opens: then ``org_unit_id`` and the site are required.
    meter_id: int | None
    planned_on: date
    assignee_id: int | None = None
    supervisor_id: int | None = None
    risk: WorkRisk = WorkRisk.NORMAL
    # Working window; default the planned business day 07:00-19:00 Beijing.
    window_start: datetime | None = None
    window_end: datetime | None = None
    # Site; default the meter's position. Route: [[lon, lat], ...] ending at the site.
    site_lat: Decimal | None = None
    site_lon: Decimal | None = None
    route: list[list[float]] | None = None
    parent_id: int | None = None
    org_unit_id: int | None = None


DAY_START, DAY_END = time(7), time(19)


def _window(data: NewWorkOrder) -> tuple[datetime, datetime]:
    start = data.window_start or datetime.combine(
        data.planned_on, DAY_START, tzinfo=clock.BUSINESS_TZ
    )
    end = data.window_end or datetime.combine(data.planned_on, DAY_END, tzinfo=clock.BUSINESS_TZ)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationProblem("时间须带时区 / times need a time zone", field="window_start")
    if not start < end <= start + timedelta(days=2):
        raise ValidationProblem(
            "作业时段须在开始之后且不超过两天 / the window must end after it starts, within 2 days",
            field="window_end",
        )
    return start, end


def _route(route: list[list[float]] | None) -> list[Any] | None:
    if route is None:
        return None
    if len(route) < 2 or any(
        len(p) != 2 or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90) for p in route
    ):
        raise ValidationProblem(
            "路线须为至少两个 [经度, 纬度] 点 / the route needs at least two [lon, lat] points",
            field="route",
        )
    return [[float(p[0]), float(p[1])] for p in route]


def _assignee(uow: UnitOfWork, account_id: int, planned_on: date) -> StaffAccount:
    account = uow.session.scalars(select(StaffAccount).where(StaffAccount.id == account_id)).first()
    if account is None:
        raise NotFoundError("执行人不存在 / assignee not found", field="assignee_id")
    if account.status != AccountStatus.ACTIVE:
        raise ValidationProblem(
            f"执行人账号为 {account.status.value} / assignee is {account.status.value}",
            field="assignee_id",
        )
    if account.post == Post.CONTRACTOR and (
        account.service_ends_on is None or account.service_ends_on < planned_on
    ):
        raise ValidationProblem(
            "外包人员服务期在计划日期前结束 / the contractor's service ends before the planned date",
            field="assignee_id",
        )
    return account


def _place(uow: UnitOfWork, data: NewWorkOrder) -> tuple[int, Decimal, Decimal]:
    """The order's unit and site: the meter's (in the caller's scope), or for an
    installation without a meter the given unit (in the caller's scope) and site."""
    if data.meter_id is not None:
        meter = uow.session.scalars(select(Meter).where(Meter.id == data.meter_id)).first()
        if meter is None:
            raise NotFoundError("电能表不存在 / meter not found", field="meter_id")
        lat = data.site_lat if data.site_lat is not None else meter.latitude
        lon = data.site_lon if data.site_lon is not None else meter.longitude
        return meter.org_unit_id, lat, lon
    site_work = data.kind == WorkOrderKind.INSTALL or (
        data.kind == WorkOrderKind.REPAIR and data.parent_id is not None
    )
    if not site_work:
        raise ValidationProblem("须指定电能表 / a meter is required", field="meter_id")
    if data.site_lat is None or data.site_lon is None:
        raise ValidationProblem(
            "无表装表工单须给出现场坐标 / an installation without a meter needs the site",
            field="site_lat",
        )
    if not (-90 <= data.site_lat <= 90 and -180 <= data.site_lon <= 180):
        raise ValidationProblem("现场坐标无效 / the site is not a position", field="site_lat")
    path = uow.session.scalar(select(OrgUnit.path).where(OrgUnit.id == data.org_unit_id))
    if data.org_unit_id is None or path is None or not uow.actor.scope.covers_path(path):
        raise NotFoundError("单位不存在 / org unit not found", field="org_unit_id")
    return data.org_unit_id, data.site_lat, data.site_lon


def do_open_work_order(uow: UnitOfWork, data: NewWorkOrder) -> int:
    with uow:
        order = open_in(uow, data)
        uow.commit()
        return order.id


def open_in(uow: UnitOfWork, data: NewWorkOrder) -> WorkOrder:
    """Insert and audit one order in the caller's transaction (a repair order is opened
    inside the checklist's transaction this way)."""
    now = clock.now()
    unit_id, site_lat, site_lon = _place(uow, data)
    assignee = _assignee(uow, data.assignee_id, data.planned_on) if data.assignee_id else None
    supervisor = _assignee(uow, data.supervisor_id, data.planned_on) if data.supervisor_id else None
    if supervisor is not None and assignee is not None and supervisor.id == assignee.id:
        raise ValidationProblem(
            "监护人不能是作业人本人 / the supervisor cannot be the operator",
            field="supervisor_id",
        )
    start, end = _window(data)
    order = WorkOrder(
        number=f"tmp-{secrets.token_hex(8)}",
        kind=data.kind,
        meter_id=data.meter_id,
        org_unit_id=unit_id,
        assignee_id=assignee.id if assignee else None,
        supervisor_id=supervisor.id if supervisor else None,
        status=WorkOrderStatus.ASSIGNED if assignee else WorkOrderStatus.OPEN,
        risk=data.risk,
        planned_on=data.planned_on,
        window_start=start,
        window_end=end,
        site_lat=site_lat,
        site_lon=site_lon,
        route=_route(data.route),
        parent_id=data.parent_id,
        created_at=now,
    )
    uow.session.add(order)
    uow.session.flush()
    order.number = f"WO{clock.business_day(now):%Y%m%d}{order.id:06d}"
    uow.session.flush()
    uow.audit(
        "workorder.opened",
        object_type="work_order",
        object_id=order.id,
        org_unit_id=order.org_unit_id,
        after=snapshot(order),
    )
    return order


def _order(uow: UnitOfWork, order_id: int) -> WorkOrder:
    order = uow.session.scalars(select(WorkOrder).where(WorkOrder.id == order_id)).first()
    if order is None:
        raise NotFoundError("工单不存在 / work order not found")
    return order


def do_assign(uow: UnitOfWork, order_id: int, assignee_id: int | None) -> None:
    """Plan (or, with None, clear) the operator of an order not yet dispatched."""
    with uow:
        order = _order(uow, order_id)
        if order.status not in (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED):
            raise ConflictError(f"工单已{order.status.value} / work order is {order.status.value}")
        before = snapshot(order)
        assignee = _assignee(uow, assignee_id, order.planned_on) if assignee_id else None
        order.assignee_id = assignee.id if assignee else None
        order.status = WorkOrderStatus.ASSIGNED if assignee else WorkOrderStatus.OPEN
        uow.audit(
            "workorder.assigned",
            object_type="work_order",
            object_id=order.id,
            org_unit_id=order.org_unit_id,
            before=before,
            after=snapshot(order),
        )
        uow.commit()


def do_close(uow: UnitOfWork, order_id: int, *, cancelled: bool = False) -> None:
    """Done or cancelled; either way the assignee's view of its meter ends (IAM-7)."""
    with uow:
        order = _order(uow, order_id)
        if order.status not in LIVE_STATUSES:
            raise ConflictError(f"工单已{order.status.value} / work order is {order.status.value}")
        before = snapshot(order)
        order.status = WorkOrderStatus.CANCELLED if cancelled else WorkOrderStatus.DONE
        uow.audit(
            "workorder.closed",
            object_type="work_order",
            object_id=order.id,
            org_unit_id=order.org_unit_id,
            before=before,
            after=snapshot(order),
        )
        uow.commit()


def do_set_service_end(uow: UnitOfWork, account_id: int, ends_on: date) -> None:
    """A contractor's service period end; the day after it he sees nothing (IAM-7)."""
    with uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.id == account_id)
        ).first()
        if account is None:
            raise NotFoundError("账号不存在 / account not found")
        if account.post != Post.CONTRACTOR:
            raise ValidationProblem(
                "仅外包人员有服务期 / only contractors have a service end date", field="ends_on"
            )
        before = account.service_ends_on
        account.service_ends_on = ends_on
        uow.audit(
            "staff.service_end_set",
            object_type="staff_account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            before={"service_ends_on": before.isoformat() if before else None},
            after={"service_ends_on": ends_on.isoformat()},
        )
        uow.commit()


@dataclasses.dataclass(frozen=True)
class WorkOrderRow:
    id: int
    number: str
    kind: WorkOrderKind
    status: WorkOrderStatus
    planned_on: date
    org_unit_id: int
    assignee_id: int | None
    meter_id: int | None  # None: an installation at a site with no meter yet
    meter_asset_no: str | None
    latitude: Decimal
    longitude: Decimal
    address: str | None  # masked (DATA-3): street level + ***


def list_work_orders(uow: UnitOfWork, *, live_only: bool = True) -> list[WorkOrderRow]:
    """Work orders in the caller's scope — for a contractor exactly his own live ones, with
    the meter's location and the supply point's masked address."""
    with uow:
        stmt = (
            select(WorkOrder, Meter, SupplyPoint.address)
            .outerjoin(Meter, Meter.id == WorkOrder.meter_id)
            .outerjoin(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
            # An order with a meter shows only with its meter visible: a contractor's
            # finished orders grant nothing (IAM-7), as before the join became outer.
            .where(or_(WorkOrder.meter_id.is_(None), Meter.id.is_not(None)))
        )
        if live_only:
            stmt = stmt.where(WorkOrder.status.in_(LIVE_STATUSES))
        rows = uow.session.execute(
            stmt.order_by(WorkOrder.planned_on, WorkOrder.id).limit(500)
        ).all()
        return [
            WorkOrderRow(
                o.id,
                o.number,
                o.kind,
                o.status,
                o.planned_on,
                o.org_unit_id,
                o.assignee_id,
                o.meter_id,
                m.asset_no if m else None,
                m.latitude if m else o.site_lat,
                m.longitude if m else o.site_lon,
                mask("address", address),
            )
            for o, m, address in rows
        ]
