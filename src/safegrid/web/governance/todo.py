"""To-do providers of account lifecycle (IAM-4..8): permission changes at my step, idle
accounts to review, trained staff to activate; registered in :mod:`safegrid.web.routes`
(ADR 0024)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from safegrid.governance.models import (
    ChangeStatus,
    IdleReview,
    PermissionChangeRequest,
    ReviewStatus,
)
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.todo import CountQuery, Tally, TodoProvider, tally_rows

WAITING_TOO_LONG: Final = timedelta(days=2)
_LINK: Final = "/governance/permission-changes"


def _changes_at(status: ChangeStatus) -> CountQuery:
    def count(uow: UnitOfWork) -> Tally:
        return tally_rows(
            uow,
            PermissionChangeRequest,
            PermissionChangeRequest.status == status,
            # Nobody decides his own application or his own change (IAM-5).
            PermissionChangeRequest.applicant_id != (uow.actor.account_id or -1),
            PermissionChangeRequest.target_id != (uow.actor.account_id or -1),
            overdue=PermissionChangeRequest.applied_at < clock.now() - WAITING_TOO_LONG,
        )

    return count


def idle_to_review(uow: UnitOfWork) -> Tally:
    return tally_rows(uow, IdleReview, IdleReview.status == ReviewStatus.LISTED)


def to_activate(uow: UnitOfWork) -> Tally:
    return tally_rows(uow, StaffAccount, StaffAccount.status == AccountStatus.PENDING_ACTIVATION)


PROVIDERS: Final = (
    TodoProvider(
        "permchange.leader",
        N_("Permission changes waiting for my approval"),
        "system",
        Perm.PERMCHANGE_APPROVE_LEADER,
        _LINK,
        _changes_at(ChangeStatus.PENDING_LEADER),
        N_("waiting more than two days"),
    ),
    TodoProvider(
        "permchange.head",
        N_("Permission changes waiting for my approval"),
        "system",
        Perm.PERMCHANGE_APPROVE_HEAD,
        _LINK,
        _changes_at(ChangeStatus.PENDING_HEAD),
        N_("waiting more than two days"),
    ),
    TodoProvider(
        "permchange.execute",
        N_("Approved permission changes to carry out"),
        "system",
        Perm.PERMCHANGE_EXECUTE,
        _LINK,
        _changes_at(ChangeStatus.APPROVED),
        N_("waiting more than two days"),
    ),
    TodoProvider(
        "governance.idle",
        N_("Idle accounts to review"),
        "system",
        Perm.STAFF_LIFECYCLE,
        "/governance/idle-accounts",
        idle_to_review,
    ),
    TodoProvider(
        "governance.activation",
        N_("New staff waiting for activation"),
        "system",
        Perm.STAFF_LIFECYCLE,
        "/governance/training",
        to_activate,
    ),
)
