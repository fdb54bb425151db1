"""BILL-5 / ORG-2: billed, collected, written off and outstanding by unit, rolled up the org
tree, live from the write-offs, within the caller's scope; key and large customers flagged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from safegrid.collection.models import WriteOffKind
from safegrid.collection.monitoring import summary
from safegrid.collection.schemas import SummaryOut, UnitSummary
from safegrid.collection.writeoffs import do_write_off
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
pytestmark = pytest.mark.usefixtures("fixed_clock")


def by_unit(result: SummaryOut, world: World) -> dict[str, UnitSummary]:
    names = {v: k for k, v in world.units.items()}
    return {names[u.unit_id]: u for u in result.units}


def figures(u: UnitSummary) -> tuple[Decimal, ...]:
    return (u.billed, u.collected, u.written_off, u.outstanding)


@pytest.fixture
def period(world: World, bills: Bills) -> dict[str, int]:
    a1 = bills.bill(bills.account("stationA"), "100.00")
    a2 = bills.bill(bills.account("hallA"), "50.00")
    b1 = bills.bill(bills.account("stationB", key=True), "200.00")
    bills.bill(bills.account("stationB"), "12000.00")  # large
    bills.bill(bills.account("stationA"), "999.00", period="2026-09")  # another period
    do_write_off(world.platform.uow(world.system()), a1, D("60.00"), "P-1")
    do_write_off(world.platform.uow(world.system()), a2, D("50.00"), "A-1", WriteOffKind.ADJUSTMENT)
    return {"a1": a1, "a2": a2, "b1": b1}


def test_bill_5_summary_by_unit_and_rolled_up_the_tree(world: World, period: dict) -> None:
    units = by_unit(summary(world.platform.uow(world.system(), readonly=True), "2026-10"), world)
    assert figures(units["stationA"]) == (D("100.00"), D("60.00"), D("60.00"), D("40.00"))
    assert figures(units["hallA"]) == (D("50.00"), D("0.00"), D("50.00"), D("0.00"))
    assert figures(units["countyA"]) == (D("150.00"), D("60.00"), D("110.00"), D("40.00"))
    assert figures(units["cityA"]) == figures(units["countyA"])
    assert figures(units["countyB"]) == (D("12200.00"), D("0.00"), D("0.00"), D("12200.00"))
    assert figures(units["prov"]) == (D("12350.00"), D("60.00"), D("110.00"), D("12240.00"))
    assert units["prov"].bills == 4 and units["countyA"].collection_rate == D("73.33")


def test_bill_5_summary_is_live_as_payments_arrive(world: World, period: dict) -> None:
    do_write_off(world.platform.uow(world.system()), period["b1"], D("200.00"), "P-2")
    units = by_unit(summary(world.platform.uow(world.system(), readonly=True), "2026-10"), world)
    assert figures(units["stationB"]) == (D("12200.00"), D("200.00"), D("200.00"), D("12000.00"))


def test_org_2_a_county_sees_only_its_own_units(world: World, period: dict) -> None:
    finance = world.actor(world.staff(Post.FINANCE, "countyA"))
    result = summary(world.platform.uow(finance, readonly=True), "2026-10")
    units = by_unit(result, world)
    assert set(units) == {"countyA", "stationA", "hallA"}
    assert figures(units["countyA"]) == (D("150.00"), D("60.00"), D("110.00"), D("40.00"))
    assert result.key_accounts == []  # the key and large customers are in county B


def test_bill_5_key_and_large_customers_are_flagged(world: World, period: dict) -> None:
    result = summary(world.platform.uow(world.system(), readonly=True), "2026-10")
    flags = [(k.outstanding, k.is_key_customer, k.large) for k in result.key_accounts]
    assert flags == [(D("12000.00"), False, True), (D("200.00"), True, False)]


def test_bill_5_summary_api_and_dashboard(world: World, period: dict) -> None:
    staff = world.staff(Post.CHECKER, "cityA")
    client = TestClient(app_for(world.platform))
    auth = {"Authorization": f"Bearer {world.token(staff)}"}
    resp = client.get("/api/collection/summary?period=2026-10", headers=auth)
    assert resp.status_code == 200
    assert [u["billed"] for u in resp.json()["units"]] == ["150.00", "150.00", "100.00", "50.00"]
    bad = client.get("/api/collection/summary?period=2026-13", headers=auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "period"]
    span = client.get(
        "/api/collection/summary?date_from=2026-11-02&date_to=2026-11-01", headers=auth
    )
    assert span.status_code == 422 and span.json()["field"] == "date_from"
    page = client.get(
        "/collection?period=2026-10",
        headers={"Cookie": f"sg_session={world.token(staff, 'console')}"},
    )
    assert page.status_code == 200
    assert 'id="collection-chart-data"' in page.text and "<script>" not in page.text
    assert "/static/vendor/chartjs/chart.umd.js" in page.text


def test_bill_5_summary_by_date_range(world: World, period: dict) -> None:
    issued_today = summary(
        world.platform.uow(world.system(), readonly=True),
        date_from=date(2026, 11, 2),
        date_to=date(2026, 11, 2),
    )
    assert by_unit(issued_today, world)["prov"].bills == 5
