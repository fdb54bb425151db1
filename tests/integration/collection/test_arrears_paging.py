"""BILL-6: the arrears list carries its total on the page's rows (one pass over the balances,
issue 13); every page, including one past the end, reports the same total."""

from __future__ import annotations

from datetime import timedelta

from safegrid.collection.reports import list_arrears
from safegrid.platform import clock
from safegrid.platform.paging import PageQuery
from tests.fixtures.bills import Bills
from tests.fixtures.world import World


def test_bill_6_arrears_total_is_the_same_on_every_page(world: World, bills: Bills) -> None:
    overdue = clock.business_day() - timedelta(days=10)
    for amount in ("10.00", "20.00", "30.00"):
        bills.bill(bills.account("stationA"), amount, due=overdue)
    bills.bill(bills.account("stationA"), "40.00")  # not due yet: not in arrears

    def page(n: int) -> tuple[int, list[str]]:
        found = list_arrears(
            world.platform.uow(world.system(), readonly=True), PageQuery(page=n, size=2)
        )
        return found.total, [str(r.outstanding) for r in found.items]

    assert page(1) == (3, ["10.00", "20.00"])
    assert page(2) == (3, ["30.00"])
    assert page(3) == (3, [])
