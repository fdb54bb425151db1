"""客户360 (issue 13): one search box reads 户号, name, masked phone tail, meter asset number
and address fragment — the encrypted ones without storing anything in clear (DATA-2) — and
one page shows the customer's accounts, balance, open bills, usage and actions in context,
each part only for the posts that read it (IAM-1), all inside the caller's scope (ORG-2)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.customers.models import Account, Customer, Meter, SupplyPoint
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import Staff, World


def _client(world: World, staff: Staff) -> TestClient:
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, "zh")
    return client


def _facts(world: World, account_id: int) -> dict[str, str]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        row = uow.session.execute(
            select(Customer.id, Customer.mobile, Customer.address, Account.number, Meter.asset_no)
            .join(Account, Account.customer_id == Customer.id)
            .join(SupplyPoint, SupplyPoint.account_id == Account.id)
            .join(Meter, Meter.supply_point_id == SupplyPoint.id)
            .where(Account.id == account_id)
        ).one()
    cid, mobile, address, number, asset = row
    return {"id": str(cid), "mobile": mobile, "address": address, "number": number, "asset": asset}


def _found(client: TestClient, q: str) -> set[str]:
    page = client.get("/customers", params={"q": q})
    assert page.status_code == 200, page.text
    return set(re.findall(r'href="/customers/(\d+)"', page.text))


@pytest.fixture
def two(world: World, bills: Bills) -> tuple[dict[str, str], dict[str, str]]:
    inside = bills.account("stationA")
    bills.bill(inside, "66.60")
    outside = bills.account("stationB")
    return _facts(world, inside), _facts(world, outside)


def test_search_reads_each_kind_of_key_and_stays_in_scope(
    world: World, two: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine, theirs = two
    client = _client(world, world.staff(Post.HALL_AGENT, "countyA"))
    tail = mine["mobile"][-4:]
    fragment = re.search(r"江滨西路\d+号", mine["address"])
    assert fragment is not None
    for q in (
        mine["number"],  # 户号
        mine["number"][:-2],  # its prefix
        mine["asset"],  # meter asset number
        mine["mobile"][:3] + "****" + tail,  # masked phone as printed on a bill
        tail,
        fragment.group(0),  # address fragment
    ):
        assert mine["id"] in _found(client, q), q
    # The other county's customer is never found, whatever key names it (ORG-2).
    for q in (theirs["number"], theirs["asset"], theirs["mobile"][-4:]):
        assert theirs["id"] not in _found(client, q), q
    assert _found(client, "9" * 4 + "x") == set()


def test_customer_page_shows_balance_bills_and_actions_for_a_cashier(
    world: World, two: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine, _ = two
    cashier = _client(world, world.staff(Post.CASHIER, "countyA"))
    page = cashier.get(f"/customers/{mine['id']}")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="customer-balance"' in html and "66.60" in html
    assert f'href="/counter/desk?account_no={mine["number"]}"' in html  # take a payment
    assert 'data-testid="customer-payments"' in html
    assert 'data-testid="customer-work-orders"' not in html  # not a cashier's business
    assert mine["mobile"] not in html  # masked (DATA-3)


def test_meter_reader_cannot_open_the_customer_page_but_hall_agent_can_ask_for_data(
    world: World, two: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine, _ = two
    reader = _client(world, world.staff(Post.METER_READER, "stationA"))
    assert reader.get(f"/customers/{mine['id']}").status_code == 403
    agent = _client(world, world.staff(Post.HALL_AGENT, "countyA"))
    html = agent.get(f"/customers/{mine['id']}").text
    assert f'href="/datause/requests/new?customer_id={mine["id"]}"' in html
