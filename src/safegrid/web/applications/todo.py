"""To-do providers of 业扩 applications: pre-accepted applications waiting for the hall of
the agent's region (overdue past their working-day deadline), and those waiting for the
applicant's documents (overdue when he missed his deadline); registered in
:mod:`safegrid.web.routes` (ADR 0024)."""

from __future__ import annotations

from typing import Final

from safegrid.applications.models import ApplicationStatus, BusinessApplication
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows


def applications_to_handle(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        BusinessApplication,
        BusinessApplication.status == ApplicationStatus.SUBMITTED,
        overdue=BusinessApplication.handle_by < clock.business_day(),
    )


def applications_awaiting_documents(uow: UnitOfWork) -> Tally:
    """Asked for more: the applicant's turn; past his deadline the hall follows up or
    rejects the application."""
    return tally_rows(
        uow,
        BusinessApplication,
        BusinessApplication.status == ApplicationStatus.MORE_REQUESTED,
        overdue=BusinessApplication.supply_by < clock.business_day(),
    )


PROVIDERS: Final = (
    TodoProvider(
        "applications.to_handle",
        N_("Business applications to handle"),
        "service",
        Perm.HALL_SERVE,
        "/applications?status=submitted",
        applications_to_handle,
        N_("past their working-day deadline"),
    ),
    TodoProvider(
        "applications.awaiting_documents",
        N_("Business applications waiting for the applicant's documents"),
        "service",
        Perm.HALL_SERVE,
        "/applications?status=more_requested",
        applications_awaiting_documents,
        N_("the applicant missed the deadline"),
    ),
)
