"""Dispatch, accept, start, finish, submit, review (FLD-1..5): one set-based service per
step; a single order is a batch of one. A batch is all or nothing: one refused order
refuses the batch, naming the order and why, and the refusal is logged.

The safety gates are here and nowhere else, so no screen, API call or job can skip them:
dispatch checks the crew's kits (FLD-1), suspensions (FLD-8), the live-work supervisor
(FLD-4), the day-ahead report and preparations (FLD-3) and the weather (FLD-5); start
checks the 三查三测 checklist (FLD-2), the position confirmed to dispatch (FLD-3) and the
supervisor within 3 m (FLD-4); submit checks the checklist again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from safegrid.fieldwork import checklist_rules, gates, high_risk, kits, weather
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus, WorkRisk
from safegrid.fieldwork.rectification import suspended
from safegrid.fieldwork.refusals import logged
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

S = WorkOrderStatus
HIGH_RISK = (WorkRisk.HIGH, WorkRisk.LIVE)


def load(uow: UnitOfWork, order_ids: Sequence[int], *, lock: bool = True) -> list[WorkOrder]:
    """The orders in the caller's scope, in id order (row locks in one order), or 404."""
    ids = sorted(set(order_ids))
    if not ids:
        raise ValidationProblem("未选择工单 / no work orders given", field="ids")
    stmt = select(WorkOrder).where(WorkOrder.id.in_(ids)).order_by(WorkOrder.id)
    if lock:
        stmt = stmt.with_for_update()
    orders = list(uow.session.scalars(stmt))
    if len(orders) != len(ids):
        missing = sorted(set(ids) - {o.id for o in orders})
        raise NotFoundError(f"工单不存在 / work order not found: {missing}", field="ids")
    return orders


def refuse(order: WorkOrder, why: str, field: str = "ids") -> ValidationProblem:
    return ValidationProblem(f"工单 {order.number}：{why}", field=field)


def _audit(uow: UnitOfWork, order: WorkOrder, action: str, before: S) -> None:
    uow.audit(
        f"workorder.{action}",
        object_type="work_order",
        object_id=order.id,
        org_unit_id=order.org_unit_id,
        before={"status": before.value},
        after={"status": order.status.value, "number": order.number},
    )


def do_dispatch(
    uow: UnitOfWork,
    order_ids: Sequence[int],
    source: weather.WeatherSource | None = None,
) -> list[str]:
    """Send planned orders to their crews; returns their numbers."""
    with logged(uow, "workorder.dispatch_refused", "work_order", order_ids), uow:
        now = clock.now()
        orders = load(uow, order_ids)
        for o in orders:
            if o.status != S.ASSIGNED or o.assignee_id is None:
                raise ConflictError(
                    f"工单 {o.number} 状态为 {o.status.value}，须先指派作业人 / "
                    f"is {o.status.value}; it needs a planned operator"
                )
            if o.risk == WorkRisk.LIVE and o.supervisor_id is None:
                raise refuse(o, "带电作业须有监护人 / live work needs a supervisor")
            if o.window_end <= now:
                raise refuse(o, "作业时段已过 / the working window is over")
        cuts = gates.problems(uow.session, orders, clock.business_day(now), starting=False)
        for o in orders:
            if o.id in cuts:
                raise refuse(o, cuts[o.id])
        crew = {o.id: [a for a in (o.assignee_id, o.supervisor_id) if a] for o in orders}
        everyone = [a for members in crew.values() for a in members]
        kit_issues = kits.kit_problems(uow.session, everyone, clock.business_day(now))
        held = suspended(uow.session, everyone, now)
        for o in orders:
            for a in crew[o.id]:
                if a in held:
                    raise refuse(o, f"人员 {held[a]}", field="assignee_id")
                if a in kit_issues:
                    raise refuse(o, f"人员#{a} {kit_issues[a]}", field="assignee_id")
            if o.risk in HIGH_RISK:
                problem = high_risk.dispatch_problem(o)
                if problem:
                    raise refuse(o, problem)
        risky = [o for o in orders if o.risk in HIGH_RISK]
        if risky:
            found = (source or weather.default_source()).conditions(
                [(o.site_lat, o.site_lon) for o in risky]
            )
            for o, c in zip(risky, found, strict=True):
                ban = c.ban()
                if ban:
                    # The ban is itself "中文 / English": each half goes into its language's
                    # half, so a reader of either sees why (one language per reader).
                    ban_zh, _, ban_en = ban.partition(" / ")
                    raise refuse(
                        o,
                        f"天气禁止高风险作业：{ban_zh} / weather ban (FLD-5): {ban_en or ban_zh}",
                    )
        for o in orders:
            before = o.status
            o.status, o.dispatched_at = S.DISPATCHED, now
            _audit(uow, o, "dispatched", before)
        uow.commit()
        return [o.number for o in orders]


@dataclasses.dataclass(frozen=True)
class Step:
    action: str
    source: tuple[WorkOrderStatus, ...]
    target: WorkOrderStatus
    by_operator: bool
    check: Callable[[UnitOfWork, list[WorkOrder], datetime], None] | None = None
    stamp: str | None = None


def _start_checks(uow: UnitOfWork, orders: list[WorkOrder], now: datetime) -> None:
    missing = checklist_rules.incomplete(uow.session, [o.id for o in orders])
    cuts = gates.problems(uow.session, orders, clock.business_day(now), starting=True)
    for o in orders:
        if o.id in cuts:
            raise refuse(o, cuts[o.id])
        if o.id in missing:
            raise refuse(o, f"三查三测未完成 / checklist incomplete (FLD-2): {missing[o.id]}")
        if not o.window_start - timedelta(hours=1) <= now <= o.window_end:
            raise refuse(o, "不在作业时段内 / outside the working window")
        if o.risk in HIGH_RISK and o.position_confirmed_at is None:
            raise refuse(o, "开工前须向调度确认位置 / position not confirmed to dispatch (FLD-3)")
    high_risk.check_supervisors(uow, [o for o in orders if o.risk == WorkRisk.LIVE], now)


def _submit_checks(uow: UnitOfWork, orders: list[WorkOrder], now: datetime) -> None:
    missing = checklist_rules.incomplete(uow.session, [o.id for o in orders])
    for o in orders:
        if o.id in missing:
            raise refuse(
                o, f"无完整三查三测不能提交 / no submit without the checklist: {missing[o.id]}"
            )


STEPS = {
    "accept": Step("accepted", (S.DISPATCHED,), S.ACCEPTED, True),
    "start": Step("started", (S.ACCEPTED,), S.STARTED, True, _start_checks, "started_at"),
    "finish": Step("finished", (S.STARTED,), S.FINISHED, True, None, "finished_at"),
    "submit": Step("submitted", (S.FINISHED,), S.SUBMITTED, True, _submit_checks, "submitted_at"),
    "review": Step("reviewed", (S.SUBMITTED,), S.REVIEWED, False, None, "reviewed_at"),
}


def do_advance(uow: UnitOfWork, step_name: str, order_ids: Sequence[int]) -> list[str]:
    """One field step over a batch of orders (accept/start/finish/submit by the operator,
    review by someone who is not the operator)."""
    step = STEPS.get(step_name)
    if step is None:
        raise ValidationProblem(f"未知操作 / unknown step: {step_name}", field="action")
    with logged(uow, f"workorder.{step_name}_refused", "work_order", order_ids), uow:
        now = clock.now()
        orders = load(uow, order_ids)
        me = uow.actor.account_id
        for o in orders:
            if step.by_operator and o.assignee_id != me:
                raise refuse(o, "仅作业人本人可操作 / only the order's operator may do this")
            if not step.by_operator and me in (o.assignee_id, o.supervisor_id):
                raise refuse(
                    o, "作业人和监护人不能审核自己的工单 / the crew cannot review its own order"
                )
            if o.status not in step.source:
                raise ConflictError(
                    f"工单 {o.number} 状态为 {o.status.value}，不能{step_name} / "
                    f"is {o.status.value}; cannot {step_name}"
                )
        if step.check:
            step.check(uow, orders, now)
        for o in orders:
            before = o.status
            o.status = step.target
            if step.stamp:
                setattr(o, step.stamp, now)
            _audit(uow, o, step.action, before)
        uow.commit()
        return [o.number for o in orders]


def stop_in(uow: UnitOfWork, order: WorkOrder, reason: str) -> None:
    """Stop a running order inside the caller's transaction (audited)."""
    before = order.status
    order.status, order.stop_reason = S.STOPPED, reason[:300]
    _audit(uow, order, "stopped", before)
