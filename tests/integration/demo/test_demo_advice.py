"""The demo's last history step (ANA-4): once a year of peak/valley readings is in, the
advice job's services store the advice, and the demo's shop owner (portal 13800138004) has
the account with the largest saving bound, so the portal shows advice on it; run again,
it does nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from safegrid.analytics.models import TariffAdvice
from safegrid.analytics.portal_advice import newest_advice
from safegrid.customers.models import Account
from safegrid.demo.advice import SHOP_MOBILE, advise_once
from safegrid.portal import accounts, statements
from safegrid.portal.identity import PortalIdentity
from safegrid.portal.models import PortalCustomer
from safegrid.security.fields import matches
from tests.fixtures.advice import LAST, a_year_of_readings
from tests.fixtures.billing import new_account, seed_tariffs
from tests.fixtures.world import World


def test_ana_4_demo_shop_owner_reads_advice_on_the_portal(world: World) -> None:
    seed_tariffs(world)
    # A household nearly all in the peak pays less without bands; a shop with most of its
    # use in the peak pays less on the flat tariff, and saves more.
    owl, owl_meter = new_account(world, "stationA", tou=True)
    big, big_meter = new_account(world, "stationB", category="commercial", tou=True)
    a_year_of_readings(world, owl_meter, "stationA", "10.00", "9.50")
    a_year_of_readings(world, big_meter, "stationB", "90.00", "63.00")

    bound = advise_once(world.platform, LAST)

    with world.platform.engine.connect() as conn:
        number = conn.scalar(select(Account.number).where(Account.id == big))
        owner = conn.scalar(
            select(PortalCustomer.id).where(matches(PortalCustomer.mobile, SHOP_MOBILE))
        )
        stored = conn.scalar(select(func.count()).select_from(TariffAdvice))
    assert bound == number and owner is not None and stored == 2
    me = PortalIdentity(owner, 0, "138****8004")
    mine = accounts.bound_accounts(world.platform.uow(me.actor, readonly=True), me)
    assert [a.number for a in mine] == [number]
    view = statements.statement(world.platform.uow(me.actor, readonly=True), me, number)
    assert view.advice is not None and view.advice.period == "2026-10"
    assert view.advice.saving == view.advice.current_cost - view.advice.advised_cost > 0
    assert view.advice.current_name == "一般工商业（商业）峰谷分时 / Commercial, time-of-use"
    assert view.advice.advised_name == (
        "一般工商业（商业）单一制（不分峰谷） / Commercial, flat (one price all day)"
    )
    with world.platform.uow(world.system(), readonly=True) as uow:
        household = newest_advice(uow, owl)
    assert household is not None and household.current_name.startswith(
        "浙江居民生活用电（年阶梯）（峰谷分时计价） / "
    )
    assert household.advised_name.endswith("(annual tiers) (one price all day)")
    assert advise_once(world.platform, LAST) is None
