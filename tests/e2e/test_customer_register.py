"""BILL-1 through the console: registering a customer, with errors shown at the field."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from safegrid.customers.validation import id_check_char

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

AGENT = "hall_agent.zj-nb-xs"  # Xiangshan county


def _unused_id_number(server: Server) -> str:
    for seq in range(990, 1000):
        first17 = f"33022519900101{seq}"
        candidate = first17 + id_check_char(first17)
        if server.scalar("SELECT count(*) FROM customers WHERE id_number = ?", candidate) == 0:
            return candidate
    raise AssertionError("no free test ID number")


@pytest.mark.browser
def test_bill_1_register_customer_shows_field_errors_then_saves(server: Server, page: Page) -> None:
    server.sign_in(page, AGENT)
    page.goto("/customers")
    with page.expect_navigation():
        page.click("a[href='/customers/new']")

    # Bad input: every problem is shown next to its field, and what was typed stays.
    page.fill("#f-name", "张")
    page.fill("#f-id_number", "12345")
    page.fill("#f-mobile", "1381234")
    page.fill("#f-address", "浙江省宁波市象山县丹东街道")
    with page.expect_navigation() as navigation:
        page.click("main button[type=submit]")
    assert navigation.value is not None
    assert navigation.value.status == 422
    for field in ("name", "id_number", "mobile"):
        expect(page.locator(f"#{field}-error")).to_be_visible()
    expect(page.locator("#address-error")).to_have_count(0)
    expect(page.locator("#f-address")).to_have_value("浙江省宁波市象山县丹东街道")

    id_number = _unused_id_number(server)
    page.fill("#f-name", "林晓东")
    page.fill("#f-id_number", id_number)
    page.fill("#f-mobile", "13812345678")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    # Post/redirect/get: the browser now shows the new customer's page, masked.
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("林晓东")
    expect(page.locator("main")).not_to_contain_text(id_number)
    expect(page.locator("main")).to_contain_text(id_number[:4] + "*")
    customer_id = int(page.url.rsplit("/", 1)[1])
    unit = server.scalar(
        "SELECT u.code FROM customers c JOIN org_units u ON u.id = c.org_unit_id WHERE c.id = ?",
        customer_id,
    )
    assert unit == "zj-nb-xs"
    # DATA-2: the row holds ciphertext, not the ID number that was typed in.
    stored = server.scalar("SELECT id_number FROM customers WHERE id = ?", customer_id)
    assert isinstance(stored, str) and stored.startswith("sm4gcm$") and id_number not in stored
