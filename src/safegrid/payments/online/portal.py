"""What the public payment portal shows for an account number (户号) — only to someone who
also knows the customer's name or the last digits of a meter number (issue 12, defect 4):
the name masked, what is owed in total, and today's online limit (PAY-3). Nothing else:
no customer type, no amounts per month. Failed look-ups are counted per address in the
database and slowed like failed sign-ins (security.lockout); an unknown account and a wrong
second fact answer alike."""

from __future__ import annotations

import dataclasses
import hmac
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.collection.balances import balances, yuan
from safegrid.customers.models import Account, Customer, CustomerKind, Meter, SupplyPoint
from safegrid.payments.online.limits import daily_limit, used_today
from safegrid.payments.online.orders import find_account
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security import lockout
from safegrid.security.scope import unscoped

LOOKUP_REFUSED = (
    "户号不存在，或与户名/电表号后几位不符 / account not found, or the account number does not "
    "match the customer name or meter digits given"
)
# The least a meter-number proof must give: enough digits that guessing is no shortcut.
MIN_METER_DIGITS = 4


@dataclasses.dataclass(frozen=True)
class AccountSummary:
    account_no: str
    masked_name: str
    outstanding: Decimal
    limit: Decimal
    left_today: Decimal


def mask_name(name: str, kind: CustomerKind) -> str:
    """张三丰 → 张**; an enterprise keeps its first two and last two characters."""
    if kind == CustomerKind.ENTERPRISE and len(name) > 4:
        return name[:2] + "*" * (len(name) - 4) + name[-2:]
    return name[:1] + "*" * max(len(name) - 1, 1)


def proves(uow: UnitOfWork, account: Account, customer: Customer, proof: str) -> bool:
    """The payer's second fact: the customer's full name, or the last digits (4 or more)
    of one of the account's meter numbers."""
    given = proof.strip()
    if not given:
        return False
    if given.isdigit() and len(given) >= MIN_METER_DIGITS:
        meters = uow.session.scalars(
            select(Meter.asset_no)
            .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
            .where(SupplyPoint.account_id == account.id),
            execution_options=unscoped("the payer's own meters, on the public portal"),
        ).all()
        return any(str(asset).endswith(given) for asset in meters)
    return hmac.compare_digest(given.casefold().encode(), customer.name.strip().casefold().encode())


def do_look_up(uow: UnitOfWork, account_no: str, proof: str) -> AccountSummary:
    """The portal's summary of an account, for a payer who proves a second fact. A refusal
    is counted against the caller's address (committed) before it is raised."""
    now = clock.now()
    ip = uow.actor.ip or "unknown"
    with uow:
        lockout.check_sources(uow, [("portal", ip)], now)
        try:
            account: Account | None = find_account(uow, account_no)
        except NotFoundError:
            account = None
        customer = None if account is None else uow.session.get(Customer, account.customer_id)
        if account is None or customer is None or not proves(uow, account, customer, proof):
            failures = lockout.count_failure(uow, "portal", ip, now)
            uow.audit(
                "portal.lookup_failed",
                object_type="account",
                object_id=None if account is None else account.id,
                note=f"{'wrong second fact' if account else 'unknown account'} "
                f"{account_no[:20]!r}; failure {failures} from {ip}",
            )
            uow.commit()
            raise ValidationProblem(LOOKUP_REFUSED, field="proof")
        return _summary(uow, account, customer, now)


def _summary(
    uow: UnitOfWork, account: Account, customer: Customer, now: datetime
) -> AccountSummary:
    bills = uow.session.scalars(
        select(Bill.id).where(
            Bill.account_id == account.id,
            Bill.kind == BillKind.NORMAL,
            Bill.status == BillStatus.ISSUED,
        ),
        execution_options=unscoped("the payer's own bills, on the public portal"),
    ).all()
    owed = balances(uow.session, list(bills))
    outstanding = sum(
        (yuan(o.outstanding_fen) for o in owed.values() if o.outstanding_fen > 0),
        Decimal("0.00"),
    )
    limit = daily_limit(customer.kind)
    used = used_today(uow, account.id, clock.business_day(now), now)
    return AccountSummary(
        account_no=account.number,
        masked_name=mask_name(customer.name, customer.kind),
        outstanding=outstanding,
        limit=limit,
        left_today=max(limit - used, Decimal("0.00")),
    )
