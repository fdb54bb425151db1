"""To-do providers of arrears (BILL-6): disconnection notices waiting for my approval and
served notices whose notice period has run; registered in :mod:`safegrid.web.routes`
(ADR 0024)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from safegrid.collection.models import DisconnectionNotice, NoticeStatus
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import Tally, TodoProvider, tally_rows

WAITING_TOO_LONG: Final = timedelta(days=2)


def notices_to_approve(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        DisconnectionNotice,
        DisconnectionNotice.status == NoticeStatus.PENDING,
        DisconnectionNotice.created_by_id != (uow.actor.account_id or -1),
        overdue=DisconnectionNotice.created_at < clock.now() - WAITING_TOO_LONG,
    )


def notices_due(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        DisconnectionNotice,
        DisconnectionNotice.status == NoticeStatus.APPROVED,
        DisconnectionNotice.earliest_disconnect_on <= clock.business_day(),
    )


PROVIDERS: Final = (
    TodoProvider(
        "arrears.notices_to_approve",
        N_("Disconnection notices waiting for my approval"),
        "charges",
        Perm.ARREARS_APPROVE,
        "/arrears",
        notices_to_approve,
        N_("waiting more than two days"),
    ),
    TodoProvider(
        "arrears.notices_due",
        N_("Served notices whose notice period has run"),
        "charges",
        Perm.COLLECTION_MANAGE,
        "/arrears",
        notices_due,
    ),
)
