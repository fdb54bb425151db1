"""Who applies, and for which account: a portal customer for an account he has bound (the
portal proves ownership and hands the bound 户号 over as :class:`PortalCustomer`), or
hall staff for a customer of their region (ORG-2 scope, permission ``hall.serve``).
Someone else's 户号 is refused, logged, and nothing is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import select

from safegrid.customers.models import Account
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform.errors import NotFoundError, PermissionDeniedError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm
from safegrid.security.scope import unscoped

ACCOUNT_NOT_FOUND = "户号不存在 / account not found"


@dataclasses.dataclass(frozen=True)
class PortalCustomer:
    """A signed-in portal customer as this domain needs him: a name for the history and
    the audit (e.g. ``portal:138****5678``) and the 户号 he has proved he owns."""

    ref: str
    account_numbers: frozenset[str]

    @classmethod
    def of(cls, ref: str, account_numbers: Iterable[str]) -> PortalCustomer:
        return cls(ref[:64], frozenset(n.strip() for n in account_numbers))


def not_bound(account_no: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"户号 {account_no[:20]} 未绑定到您的账号 / account {account_no[:20]} is not bound to you",
        field="account_no",
    )


def require_staff(uow: UnitOfWork) -> None:
    if not uow.actor.can(Perm.HALL_SERVE):
        raise PermissionDeniedError("无营业受理权限 / you may not handle hall business")


def require_viewer(uow: UnitOfWork) -> None:
    if not (uow.actor.can(Perm.HALL_VIEW) or uow.actor.can(Perm.HALL_SERVE)):
        raise PermissionDeniedError("无营业查看权限 / you may not see hall business")


def account_for(uow: UnitOfWork, account_no: str, customer: PortalCustomer | None) -> Account:
    """The account the application is for, as the caller may see it."""
    number = account_no.strip()
    if customer is not None:
        if number not in customer.account_numbers:
            raise not_bound(number)
        account = uow.session.scalars(
            select(Account).where(Account.number == number),
            execution_options=unscoped("a portal customer's own bound account, in any unit"),
        ).first()
    else:
        require_staff(uow)
        account = uow.session.scalars(select(Account).where(Account.number == number)).first()
    if account is None:
        raise NotFoundError(ACCOUNT_NOT_FOUND, field="account_no")
    return account


def handling_unit(uow: UnitOfWork, account_unit_id: int) -> int:
    """The hall that handles an account's applications: the hall nearest above the
    account's unit (a county's hall for its stations), else the account's own unit."""
    opts = unscoped("the handling hall is found for a customer's unit in any region")
    path = uow.session.scalar(
        select(OrgUnit.path).where(OrgUnit.id == account_unit_id), execution_options=opts
    )
    if path is None:
        return account_unit_id
    ancestors = [int(p) for p in path.strip("/").split("/") if p]
    halls = uow.session.execute(
        select(OrgUnit.id, OrgUnit.parent_id)
        .where(OrgUnit.kind == UnitKind.HALL, OrgUnit.parent_id.in_(ancestors))
        .order_by(OrgUnit.id),
        execution_options=opts,
    ).all()
    depth = {unit_id: i for i, unit_id in enumerate(ancestors)}
    best = max(halls, key=lambda h: depth[h.parent_id], default=None)
    return account_unit_id if best is None else int(best.id)
