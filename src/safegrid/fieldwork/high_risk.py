"""High-risk and live work (FLD-3, FLD-4).

"Two preparations, two reports": belt, anti-slip shoes, rope and first-aid kit confirmed
(:func:`do_prepare`); site and time reported at least a day ahead (:func:`do_report_ahead`);
position confirmed to dispatch before starting (a device fix at the site, see
:mod:`safegrid.fieldwork.positions`). Live work: the supervisor's device within 3 m of the
operator's, before starting (:func:`check_supervisors`) and during the work (positions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from safegrid.fieldwork.geometry import metres_between
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus, WorkRisk
from safegrid.fieldwork.refusals import logged
from safegrid.fieldwork.safety_models import PositionFix
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

SUPERVISOR_METRES = 3.0
FRESH_FIX = timedelta(minutes=5)
PREPARATIONS = ("belt", "anti_slip_shoes", "rope", "first_aid_kit")


def dispatch_problem(order: WorkOrder) -> str | None:
    if (
        order.reported_ahead_at is None
        or clock.business_day(order.reported_ahead_at) >= order.planned_on
    ):
        return "须提前一天报告作业地点和时间 / site and time not reported a day ahead (FLD-3)"
    if order.prepared_at is None:
        return "安全带、防滑鞋、绳索、急救包未确认 / preparations not confirmed (FLD-3)"
    return None


def _orders(uow: UnitOfWork, ids: Sequence[int]) -> list[WorkOrder]:
    from safegrid.fieldwork.lifecycle import load  # lifecycle imports this module

    return load(uow, ids)


def do_report_ahead(uow: UnitOfWork, order_ids: Sequence[int]) -> None:
    """Report the orders' site and time; counts only on a business day before the work."""
    with logged(uow, "workorder.report_refused", "work_order", order_ids), uow:
        now = clock.now()
        for o in _orders(uow, order_ids):
            if o.risk not in (WorkRisk.HIGH, WorkRisk.LIVE):
                raise ValidationProblem(f"工单 {o.number} 非高风险作业 / not high-risk work")
            if clock.business_day(now) >= o.planned_on:
                raise ValidationProblem(
                    f"工单 {o.number} 须在作业日 {o.planned_on} 前一天报告 / must be reported "
                    "a day ahead, by the day before the work",
                    field="ids",
                )
            o.reported_ahead_at = now
            uow.audit(
                "workorder.reported_ahead",
                object_type="work_order",
                object_id=o.id,
                org_unit_id=o.org_unit_id,
                after={"site": [str(o.site_lat), str(o.site_lon)], "window": str(o.window_start)},
            )
        uow.commit()


def do_prepare(uow: UnitOfWork, order_ids: Sequence[int], confirmed: Sequence[str]) -> None:
    """Confirm the four preparations; every one must be ticked."""
    with logged(uow, "workorder.prepare_refused", "work_order", order_ids), uow:
        missing = [p for p in PREPARATIONS if p not in set(confirmed)]
        if missing:
            raise ValidationProblem(
                f"未确认 / not confirmed: {', '.join(missing)}", field="confirmed"
            )
        now = clock.now()
        for o in _orders(uow, order_ids):
            if o.status not in (WorkOrderStatus.ASSIGNED, WorkOrderStatus.OPEN):
                raise ConflictError(f"工单 {o.number} 已派发 / already dispatched")
            o.prepared_at = now
            uow.audit(
                "workorder.prepared",
                object_type="work_order",
                object_id=o.id,
                org_unit_id=o.org_unit_id,
                after={"confirmed": list(PREPARATIONS)},
            )
        uow.commit()


def latest_fixes(uow: UnitOfWork, order_ids: Sequence[int]) -> dict[tuple[int, int], PositionFix]:
    """(order id, account id) → the latest fix."""
    newest = (
        select(
            PositionFix.work_order_id, PositionFix.account_id, func.max(PositionFix.at).label("at")
        )
        .where(PositionFix.work_order_id.in_(list(order_ids)))
        .group_by(PositionFix.work_order_id, PositionFix.account_id)
        .subquery()
    )
    rows = uow.session.scalars(
        select(PositionFix).join(
            newest,
            (PositionFix.work_order_id == newest.c.work_order_id)
            & (PositionFix.account_id == newest.c.account_id)
            & (PositionFix.at == newest.c.at),
        )
    )
    return {(f.work_order_id, f.account_id): f for f in rows}


def supervisor_gap(
    fixes: dict[tuple[int, int], PositionFix], order: WorkOrder, now: datetime
) -> str | None:
    """Why the live-work pair is not within 3 m right now, or None."""
    op = fixes.get((order.id, order.assignee_id or 0))
    sup = fixes.get((order.id, order.supervisor_id or 0))
    if op is None or sup is None or now - min(op.at, sup.at) > FRESH_FIX:
        return "缺少作业人或监护人 5 分钟内的定位 / no fresh position of operator and supervisor"
    gap = metres_between(op.lat, op.lon, sup.lat, sup.lon)
    if gap > SUPERVISOR_METRES:
        return f"监护人距作业人 {gap:.1f} m > 3 m / supervisor {gap:.1f} m from the operator"
    return None


def check_supervisors(uow: UnitOfWork, orders: Sequence[WorkOrder], now: datetime) -> None:
    if not orders:
        return
    fixes = latest_fixes(uow, [o.id for o in orders])
    for o in orders:
        gap = supervisor_gap(fixes, o, now)
        if gap:
            raise ValidationProblem(f"工单 {o.number}：带电作业 (FLD-4) {gap}", field="positions")
