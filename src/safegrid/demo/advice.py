"""Demo tariff advice (ANA-4), the last step of the demo's history: once the window holds
twelve whole months of peak/valley readings, the monthly advice job's own services price
them and text the customers who would save; then the demo's shop owner, portal number
:data:`SHOP_MOBILE`, gets the account with the largest saving bound, so a newcomer signing
in to the portal reads advice on it at once.

Run again (a second ``make demo``), it does nothing once the period's advice is stored.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from sqlalchemy import select

from safegrid.analytics.models import TariffAdvice
from safegrid.analytics.tariff_advice import advise, last_full_period
from safegrid.analytics.tariff_push import do_push_advice
from safegrid.bootstrap import Platform
from safegrid.customers.models import Account
from safegrid.platform import clock
from safegrid.portal.models import PortalBinding, PortalCustomer
from safegrid.security.actor import Actor
from safegrid.security.fields import matches
from safegrid.security.scope import unscoped

SHOP_MOBILE: Final = "13800138004"
ACTOR_NAME: Final = "demo-advice"


def advise_once(platform: Platform, last_day: date) -> str | None:
    """Advice for the last whole month of the window ending ``last_day``; returns the
    account number this call bound to the shop owner, or None (bound before, or nobody
    would save: a window shorter than a year)."""
    actor = Actor.system(ACTOR_NAME, channel="cli")
    period = last_full_period(last_day + timedelta(days=1))
    if not _stored(platform, actor, period):
        do_push_advice(platform.uow(actor), period, advise(platform.uow(actor), period))
    return _bind_shop_owner(platform, actor, period)


def _stored(platform: Platform, actor: Actor, period: str) -> bool:
    with platform.uow(actor, readonly=True) as uow:
        return (
            uow.session.scalars(
                select(TariffAdvice.id).where(TariffAdvice.period == period).limit(1)
            ).first()
            is not None
        )


def _bind_shop_owner(platform: Platform, actor: Actor, period: str) -> str | None:
    with platform.uow(actor) as uow:
        s = uow.session
        if s.scalars(
            select(PortalCustomer.id).where(matches(PortalCustomer.mobile, SHOP_MOBILE))
        ).first():
            return None
        best = s.execute(
            select(TariffAdvice.account_id, TariffAdvice.org_unit_id, Account.number)
            .join(Account, Account.id == TariffAdvice.account_id)
            .where(TariffAdvice.period == period)
            .order_by(TariffAdvice.saving.desc(), TariffAdvice.account_id)
            .limit(1),
            execution_options=unscoped("the demo binds the account of any unit"),
        ).first()
        if best is None:
            return None
        now = clock.now()
        owner = PortalCustomer(mobile=SHOP_MOBILE, created_at=now, last_sign_in_at=now)
        s.add(owner)
        s.flush()
        s.add(
            PortalBinding(
                customer_id=owner.id, account_id=best[0], bound_at=now, org_unit_id=best[1]
            )
        )
        uow.audit(
            "demo.portal_customers",
            object_type="portal_customer",
            after={"customers": 1, "bindings": 1, "tariff_advice": period},
        )
        uow.commit()
        return str(best[2])
