"""To-do providers of field work (issue 16; ADR 0024, 0034): orders other workflows opened
(disconnections, reconnections, installations) wait for a team leader to plan the crew;
yellow rectifications wait for their written review (FLD-8, due within 3 days)."""

from __future__ import annotations

from typing import Final

from safegrid.fieldwork.models import WorkOrder, WorkOrderStatus
from safegrid.fieldwork.rectification import Colour, Rectification
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows


def orders_to_plan(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        WorkOrder,
        WorkOrder.status == WorkOrderStatus.OPEN,
        overdue=WorkOrder.planned_on <= clock.business_day(),
    )


def reviews_due(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        Rectification,
        Rectification.colour == Colour.YELLOW,
        Rectification.cleared_at.is_(None),
        overdue=Rectification.review_due_on < clock.business_day(),
    )


PROVIDERS: Final = (
    TodoProvider(
        "fieldwork.orders_to_plan",
        N_("Work orders waiting for a crew"),
        "metering",
        Perm.WORKORDERS_ASSIGN,
        "/workorders",
        orders_to_plan,
        N_("planned for today or earlier"),
    ),
    TodoProvider(
        "fieldwork.written_reviews_due",
        N_("Written reviews of yellow rectifications"),
        "metering",
        Perm.FIELD_SAFETY_MANAGE,
        "/fieldwork/safety",
        reviews_due,
        N_("past the 3 days"),
    ),
)
