"""Account credit (预存): overpayment kept for an account, changed only by atomic SQL
updates under the account's row lock (taken by the ledger before it calls these)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from safegrid.customers.models import Account
from safegrid.payments.ledger.models import AccountCredit
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

ZERO = Decimal("0.00")


def change_credit(uow: UnitOfWork, account: Account, delta: Decimal) -> None:
    """Atomic ``balance = balance + delta`` under the account's row lock (which makes the
    first insert race-free); never below zero."""
    stmt = (
        update(AccountCredit)
        .where(AccountCredit.account_id == account.id)
        .values(balance=AccountCredit.balance + delta, updated_at=clock.now())
        .execution_options(
            synchronize_session=False, **unscoped("credit moves with its account, in any unit")
        )
    )
    if delta < 0:
        stmt = stmt.where(AccountCredit.balance >= -delta)
    done = cast(CursorResult[Any], uow.session.execute(stmt)).rowcount
    if done:
        return
    if delta < 0:
        raise ConflictError(
            "预存余额不足，无法退回 / the account's credit no longer holds this amount",
            field="amount",
        )
    uow.session.add(
        AccountCredit(
            account_id=account.id,
            balance=delta,
            updated_at=clock.now(),
            org_unit_id=account.org_unit_id,
        )
    )
    uow.session.flush()


def credit_balance(uow: UnitOfWork, account_id: int) -> Decimal:
    value = uow.session.scalar(
        select(AccountCredit.balance).where(AccountCredit.account_id == account_id)
    )
    return value if value is not None else ZERO
