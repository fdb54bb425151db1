"""Field alarms (FLD-4, FLD-5, FLD-6, FLD-2): a row the safety dashboard shows, and an SMS
to the order's supervisor and the unit's team leader (nearest unit up the tree that has
one), written in the caller's transaction so the alarm exists exactly when its cause does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from safegrid.fieldwork.models import WorkOrder
from safegrid.fieldwork.safety_models import AlarmKind, FieldAlarm
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post
from safegrid.security.scope import unscoped


def _recipients(uow: UnitOfWork, order: WorkOrder) -> list[StaffAccount]:
    path = uow.session.scalar(
        select(OrgUnit.path).where(OrgUnit.id == order.org_unit_id),
        execution_options=unscoped("the supervisor and team leader are told"),
    )
    chain = [int(p) for p in (path or "").strip("/").split("/") if p][::-1]
    leaders = uow.session.scalars(
        select(StaffAccount).where(
            StaffAccount.org_unit_id.in_(chain),
            StaffAccount.post == Post.TEAM_LEADER,
            StaffAccount.status == AccountStatus.ACTIVE,
        ),
        execution_options=unscoped("the supervisor and team leader are told"),
    ).all()
    nearest: list[StaffAccount] = []
    for unit_id in chain:
        nearest = [s for s in leaders if s.org_unit_id == unit_id]
        if nearest:
            break
    people = list(nearest)
    if order.supervisor_id is not None:
        supervisor = uow.session.scalar(
            select(StaffAccount).where(StaffAccount.id == order.supervisor_id),
            execution_options=unscoped("the supervisor and team leader are told"),
        )
        if supervisor is not None:
            people.insert(0, supervisor)
    return people


def raise_alarm(
    uow: UnitOfWork, order: WorkOrder, kind: AlarmKind, message: str, details: dict[str, Any]
) -> FieldAlarm:
    people = _recipients(uow, order)
    alarm = FieldAlarm(
        work_order_id=order.id,
        kind=kind,
        message=message[:400],
        details=details,
        raised_at=clock.now(),
        told=[p.username for p in people],
        org_unit_id=order.org_unit_id,
    )
    uow.session.add(alarm)
    uow.session.flush()
    OutboxNotifier(uow).send_many(
        [
            Message(
                channel="sms",
                recipient=p.mobile,
                topic=f"field.{kind.value}",
                body=f"【现场作业告警】工单 {order.number}：{message}",
                org_unit_id=order.org_unit_id,
                subject_type="work_order",
                subject_id=str(order.id),
            )
            for p in people
            if p.mobile
        ]
    )
    uow.audit(
        "field.alarm",
        object_type="work_order",
        object_id=order.id,
        org_unit_id=order.org_unit_id,
        after={"kind": kind.value, "message": message, "told": alarm.told, **details},
    )
    return alarm
