"""A portal customer's accounts (户号): binding one after proving it is his, unbinding, and
the one query every portal read starts from — his bound accounts, nothing else.

Proof is the public pay page's rule (``payments.online.portal.proves``): the customer's
name or the last 4+ digits of a meter number. A wrong proof and an unknown number answer
alike, are audited, and count against the address and the customer in the throttle table.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from safegrid.customers.models import Account, Customer
from safegrid.payments.online.orders import find_account
from safegrid.payments.online.portal import LOOKUP_REFUSED, mask_name, proves
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.events import Event
from safegrid.platform.uow import UnitOfWork
from safegrid.portal.identity import PortalIdentity
from safegrid.portal.models import PortalBinding
from safegrid.security import lockout

NOT_BOUND: Final = "您未绑定该户号 / this account is not bound to you"
TAKEN: Final = (
    "该户号已由其他手机号绑定，如需变更请持证件到营业厅办理 / this account is bound to another "
    "mobile number; to change that, visit a service hall with your ID"
)


@dataclasses.dataclass(frozen=True)
class AccountBound(Event):
    account_id: int
    portal_customer_id: int


@dataclasses.dataclass(frozen=True)
class AccountUnbound(Event):
    account_id: int
    portal_customer_id: int


@dataclasses.dataclass(frozen=True)
class BoundAccount:
    account_id: int
    number: str
    masked_name: str
    org_unit_id: int
    customer_id: int


def bound_accounts(uow: UnitOfWork, me: PortalIdentity) -> list[BoundAccount]:
    """The customer's accounts, in the order he bound them."""
    with uow:
        return _bound(uow, me)


def bound_account(uow: UnitOfWork, me: PortalIdentity, account_no: str) -> BoundAccount:
    with uow:
        return owned(uow, me, account_no)


def _bound(uow: UnitOfWork, me: PortalIdentity) -> list[BoundAccount]:
    rows = uow.session.execute(
        select(Account.id, Account.number, Customer.name, Customer.kind, Account.org_unit_id)
        .add_columns(Customer.id)
        .join(PortalBinding, PortalBinding.account_id == Account.id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(PortalBinding.customer_id == me.customer_id)
        .order_by(PortalBinding.id)
    ).all()
    return [
        BoundAccount(int(r[0]), r[1], mask_name(r[2], r[3]), int(r[4]), int(r[5])) for r in rows
    ]


def owned(uow: UnitOfWork, me: PortalIdentity, account_no: str) -> BoundAccount:
    """One of his accounts by number, inside the caller's unit of work; any other number is
    "not bound" (never "exists")."""
    for account in _bound(uow, me):
        if account.number == account_no.strip():
            return account
    raise NotFoundError(NOT_BOUND, field="account_no")


def do_bind(uow: UnitOfWork, me: PortalIdentity, account_no: str, proof: str) -> BoundAccount:
    """Binds ``account_no`` after the second fact; binding one's own account again changes
    nothing. Someone else's account (wrong proof, or bound to another number) is refused."""
    account_no = account_no.strip()
    if not account_no:
        raise ValidationProblem("请输入户号 / enter the account number", field="account_no")
    now = clock.now()
    ip = uow.actor.ip or "unknown"
    keys: list[tuple[lockout.Source, str]] = [("portal", ip), ("portal", f"c{me.customer_id}")]
    with uow:
        lockout.check_sources(uow, keys, now)
        try:
            account: Account | None = find_account(uow, account_no)
        except NotFoundError:
            account = None
        customer = None if account is None else uow.session.get(Customer, account.customer_id)
        if account is None or customer is None or not proves(uow, account, customer, proof):
            for source, key in keys:
                lockout.count_failure(uow, source, key, now)
            uow.audit(
                "portal.bind_refused",
                object_type="account",
                object_id=None if account is None else account.id,
                note=f"{'wrong second fact' if account else 'unknown account'} "
                f"{account_no[:20]!r} by portal customer {me.customer_id} from {ip}",
            )
            uow.commit()
            raise ValidationProblem(LOOKUP_REFUSED, field="proof")
        holder = _holder(uow, account.id)
        if holder is None:
            try:
                with uow.session.begin_nested():
                    uow.session.add(
                        PortalBinding(
                            customer_id=me.customer_id,
                            account_id=account.id,
                            bound_at=now,
                            org_unit_id=account.org_unit_id,
                        )
                    )
            except IntegrityError:
                holder = _holder(uow, account.id)  # bound by someone in the same instant
            else:
                uow.audit(
                    "portal.bind",
                    object_type="account",
                    object_id=account.id,
                    org_unit_id=account.org_unit_id,
                    after={"portal_customer_id": me.customer_id},
                )
                uow.emit(AccountBound(account.id, me.customer_id))
                uow.commit()
                holder = me.customer_id
        if holder != me.customer_id:
            uow.audit(
                "portal.bind_refused",
                object_type="account",
                object_id=account.id,
                org_unit_id=account.org_unit_id,
                note=f"bound to another portal customer; asked by {me.customer_id} from {ip}",
            )
            uow.commit()
            raise ConflictError(TAKEN, field="account_no")
        return BoundAccount(
            account.id,
            account.number,
            mask_name(customer.name, customer.kind),
            account.org_unit_id,
            customer.id,
        )


def _holder(uow: UnitOfWork, account_id: int) -> int | None:
    found = uow.session.scalar(
        select(PortalBinding.customer_id).where(PortalBinding.account_id == account_id)
    )
    return None if found is None else int(found)


def do_unbind(uow: UnitOfWork, me: PortalIdentity, account_no: str) -> None:
    with uow:
        account = owned(uow, me, account_no)
        uow.session.execute(
            delete(PortalBinding).where(
                PortalBinding.account_id == account.account_id,
                PortalBinding.customer_id == me.customer_id,
            )
        )
        uow.audit(
            "portal.unbind",
            object_type="account",
            object_id=account.account_id,
            org_unit_id=account.org_unit_id,
            before={"portal_customer_id": me.customer_id},
        )
        uow.emit(AccountUnbound(account.account_id, me.customer_id))
        uow.commit()
