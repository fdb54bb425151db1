"""To-do providers of reconciliation (REC-3, REC-4); registered in :mod:`safegrid.web.routes`
(ADR 0024): cases due in the unit (overdue past their 5th working day), cases waiting for
a second person to close them, and the previous month's report waiting for sign-off
(overdue after the 5th, when the month must be complete)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import exists, select

from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import periods
from safegrid.reconciliation.models import CaseStatus, MatchItem, MonthlyReport, ReconCase
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows

COMPLETE_BY_DAY: Final = 5  # REC-4: the previous month is complete by the 5th


def cases_due(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        ReconCase,
        ReconCase.status == CaseStatus.OPEN,
        overdue=ReconCase.due_on < clock.business_day(),
    )


def cases_to_close(uow: UnitOfWork) -> Tally:
    """Resolved by someone else: the second person closes (never the one who resolved)."""
    return tally_rows(
        uow,
        ReconCase,
        ReconCase.status == CaseStatus.RESOLVED,
        ReconCase.resolved_by != uow.actor.username,
        overdue=ReconCase.due_on < clock.business_day(),
    )


def report_to_sign(uow: UnitOfWork) -> Tally:
    """The previous month, matched and not signed yet: one report for the signer."""
    today = clock.business_day()
    period = periods.previous(today)
    with uow:
        waiting = uow.session.scalar(
            select(
                exists().where(MatchItem.period == period)
                & ~exists().where(MonthlyReport.period == period)
            )
        )
    late = int(bool(waiting) and today.day > COMPLETE_BY_DAY)
    return Tally(int(bool(waiting)), late)


PROVIDERS: Final = (
    TodoProvider(
        "reconciliation.cases_due",
        N_("Reconciliation cases to explain"),
        "funds",
        Perm.RECON_WORK,
        "/reconciliation/cases",
        cases_due,
        N_("past their 5th working day"),
    ),
    TodoProvider(
        "reconciliation.cases_to_close",
        N_("Reconciliation cases to close as the second person"),
        "funds",
        Perm.RECON_WORK,
        "/reconciliation/cases",
        cases_to_close,
        N_("past their 5th working day"),
    ),
    TodoProvider(
        "reconciliation.report_to_sign",
        N_("Monthly reconciliation report to sign"),
        "funds",
        Perm.RECON_SIGN,
        "/reconciliation/report",
        report_to_sign,
        N_("after the 5th of the month"),
    ),
)
