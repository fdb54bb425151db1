"""Daily online payment limits (PAY-3): 5,000 yuan a Beijing business day for a personal
(resident) account, 50,000 for an enterprise account.

What counts: the day's paid orders plus the ones still waiting to be paid (created and not
expired) — otherwise a customer could open ten orders of 5,000 before paying any. Rejected
and expired orders do not count. The caller holds the account's row lock, so two
concurrent orders of one account cannot both slip under the limit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import BigInteger, and_, cast, func, or_, select

from safegrid.customers.models import CustomerKind
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

DAILY_LIMITS: Final[dict[CustomerKind, Decimal]] = {
    CustomerKind.RESIDENT: Decimal("5000.00"),
    CustomerKind.ENTERPRISE: Decimal("50000.00"),
}


def daily_limit(kind: CustomerKind) -> Decimal:
    return DAILY_LIMITS[kind]


def used_today(uow: UnitOfWork, account_id: int, day: date, now: datetime) -> Decimal:
    # Summed as integer fen: SQLite keeps NUMERIC as floating point.
    total = uow.session.scalar(
        select(func.coalesce(func.sum(cast(func.round(PaymentOrder.amount * 100), BigInteger)), 0))
        .where(
            PaymentOrder.account_id == account_id,
            PaymentOrder.business_day == day,
            or_(
                PaymentOrder.status == OrderStatus.PAID,
                and_(PaymentOrder.status == OrderStatus.CREATED, PaymentOrder.expires_at > now),
            ),
        )
        .execution_options(**unscoped("a payer's daily limit counts every order"))
    )
    return Decimal(int(total or 0)).scaleb(-2)
