"""ORG-2 in the browser: a county's staff see that county's customers and nothing else."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

COUNTY = "zj-hz-fy"  # Fuyang
OTHER_COUNTY = "zj-nb-yy"  # Yuyao, in another city
AGENT = f"hall_agent.{COUNTY}"

IN_SUBTREE = "SELECT {cols} FROM customers c JOIN org_units u ON u.id = c.org_unit_id WHERE u.path LIKE ? || '%'"


def _path(server: Server, code: str) -> str:
    path = server.scalar("SELECT path FROM org_units WHERE code = ?", code)
    assert isinstance(path, str)
    return path


@pytest.mark.browser
def test_org_2_county_agent_sees_only_county_customers(server: Server, page: Page) -> None:
    # The account must sit at the county itself (not its hall), so its subtree is the county.
    unit_code = server.scalar(
        "SELECT u.code FROM staff_accounts s JOIN org_units u ON u.id = s.org_unit_id "
        "WHERE s.username = ?",
        AGENT,
    )
    assert unit_code == COUNTY
    county_path = _path(server, COUNTY)
    county_units = set(
        server.column("SELECT name FROM org_units WHERE path LIKE ? || '%'", county_path)
    )
    expected = server.scalar(IN_SUBTREE.format(cols="count(*)"), county_path)
    everyone = server.scalar("SELECT count(*) FROM customers")
    assert isinstance(expected, int)
    assert isinstance(everyone, int)
    assert 0 < expected < everyone, "the demo must put customers in several counties"

    server.sign_in(page, AGENT)
    expect(page).to_have_url(server.base_url + "/")

    page.goto("/customers")
    count = page.get_by_test_id("result-count")
    assert count.get_attribute("data-total") == str(expected)
    server.screenshot(page, "customers")

    # Every row of every page belongs to a unit inside the county.
    pages = -(-expected // 20)
    seen = 0
    for number in range(1, pages + 1):
        page.goto(f"/customers?page={number}")
        units = page.locator("[data-testid=customer-table] td[data-testid=unit]").all_inner_texts()
        assert set(units) <= county_units, f"page {number} shows units {set(units) - county_units}"
        seen += len(units)
    assert seen == expected

    own_id, own_name = _first_customer(server, county_path)
    page.goto(f"/customers/{own_id}")
    expect(page.locator("h1")).to_contain_text(own_name)
    expect(page.locator("main")).to_contain_text(re.compile(r"资产编号"))
    server.screenshot(page, "customer-detail")

    other_id, other_name = _first_customer(server, _path(server, OTHER_COUNTY))
    other_number = server.scalar("SELECT number FROM customers WHERE id = ?", other_id)
    assert isinstance(other_number, str)
    response = page.goto(f"/customers/{other_id}")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_have_attribute("data-status", "404")
    html = page.content()
    assert other_name not in html
    assert other_number not in html

    # The live search (htmx) is bound by the same scope: the other county's customer
    # number finds nothing, while typing swaps only the results, not the page.
    page.goto("/customers")
    page.fill("#f-q", other_number)
    expect(count).to_have_attribute("data-total", "0")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    assert page.locator("header.topbar").count() == 1
    page.fill("#f-q", own_name)
    expect(page.locator("[data-testid=customer-table] tbody")).to_contain_text(own_name)


def _first_customer(server: Server, path: str) -> tuple[int, str]:
    row = server.row(IN_SUBTREE.format(cols="c.id, c.name") + " ORDER BY c.id LIMIT 1", path)
    assert row is not None
    return int(row[0]), str(row[1])
