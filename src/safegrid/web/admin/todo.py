"""To-do providers of key-field alerts (AUD-3) and field work orders (IAM-7); registered in
:mod:`safegrid.web.routes` (ADR 0024)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from safegrid.alerts.models import Alert
from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm, Post
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows

ACK_WITHIN: Final = timedelta(hours=24)
FIELD_POSTS: Final = frozenset({Post.FIELD_WORKER, Post.SAFETY_SUPERVISOR, Post.CONTRACTOR})


def alerts_to_acknowledge(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        Alert,
        Alert.acknowledged_at.is_(None),
        overdue=Alert.raised_at < clock.now() - ACK_WITHIN,
    )


def my_work_orders(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        WorkOrder,
        WorkOrder.status == WorkOrderStatus.ASSIGNED,
        WorkOrder.assignee_id == (uow.actor.account_id or -1),
        overdue=WorkOrder.planned_on < clock.business_day(),
    )


def orders_to_assign(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        WorkOrder,
        WorkOrder.status == WorkOrderStatus.OPEN,
        overdue=WorkOrder.planned_on < clock.business_day(),
    )


PROVIDERS: Final = (
    TodoProvider(
        "alerts.to_acknowledge",
        N_("Alerts to acknowledge"),
        "security",
        Perm.ALERTS_ACK,
        "/alerts",
        alerts_to_acknowledge,
        N_("raised more than a day ago"),
    ),
    TodoProvider(
        "workorders.mine",
        N_("Work orders assigned to me"),
        "metering",
        Perm.WORKORDERS_VIEW,
        "/workorders",
        my_work_orders,
        N_("past their planned day"),
        # Auditors read orders too; only those sent out to do them have them as work.
        applies=lambda actor: actor.post in FIELD_POSTS,
    ),
    TodoProvider(
        "workorders.to_assign",
        N_("Work orders to assign"),
        "metering",
        Perm.WORKORDERS_ASSIGN,
        "/workorders",
        orders_to_assign,
        N_("past their planned day"),
    ),
)
