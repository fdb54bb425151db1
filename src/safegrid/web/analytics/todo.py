"""To-do provider of the arrears-risk list (ANA-3): high-risk bills now overdue whose
account has no instalment plan yet — the collector's call to offer one; registered in
:mod:`safegrid.web.routes` (ADR 0024)."""

from __future__ import annotations

from typing import Final

from safegrid.analytics.dashboards import to_offer_a_plan
from safegrid.analytics.models import ArrearsScore
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows


def plans_to_offer(uow: UnitOfWork) -> Tally:
    return tally_rows(uow, ArrearsScore, *to_offer_a_plan(clock.business_day()))


PROVIDERS: Final = (
    TodoProvider(
        "analytics.plans_to_offer",
        N_("High-risk accounts in arrears to offer an instalment plan"),
        "charges",
        Perm.COLLECTION_MANAGE,
        "/analytics/arrears-risk?offer=true",
        plans_to_offer,
    ),
)
