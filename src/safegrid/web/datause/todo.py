"""To-do providers of data use (DATA-4): requests waiting at my approval step, and my own
requests still under way; registered in :mod:`safegrid.web.routes` (ADR 0024)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from safegrid.datause.models import DataUseRequest, RequestStatus
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import CountQuery, Tally, TodoProvider, tally_rows

WAITING_TOO_LONG: Final = timedelta(hours=24)


def _waiting_at(status: RequestStatus) -> CountQuery:
    def count(uow: UnitOfWork) -> Tally:
        return tally_rows(
            uow,
            DataUseRequest,
            DataUseRequest.status == status,
            DataUseRequest.requester_id != (uow.actor.account_id or -1),
            overdue=DataUseRequest.created_at < clock.now() - WAITING_TOO_LONG,
        )

    return count


def my_requests_under_way(uow: UnitOfWork) -> Tally:
    return tally_rows(
        uow,
        DataUseRequest,
        DataUseRequest.status.in_((RequestStatus.PENDING_HEAD, RequestStatus.PENDING_DSO)),
        DataUseRequest.requester_id == (uow.actor.account_id or -1),
    )


PROVIDERS: Final = (
    TodoProvider(
        "datause.head_approvals",
        N_("Data-use requests waiting for my approval"),
        "security",
        Perm.DATAUSE_APPROVE_HEAD,
        "/datause",
        _waiting_at(RequestStatus.PENDING_HEAD),
        N_("waiting more than a day"),
    ),
    TodoProvider(
        "datause.dso_approvals",
        N_("Data-use requests waiting for my approval"),
        "security",
        Perm.DATAUSE_APPROVE_DSO,
        "/datause",
        _waiting_at(RequestStatus.PENDING_DSO),
        N_("waiting more than a day"),
    ),
    TodoProvider(
        "datause.mine",
        N_("My data-use requests under way"),
        "security",
        Perm.DATAUSE_REQUEST,
        "/datause",
        my_requests_under_way,
    ),
)
