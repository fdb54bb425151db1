"""PAY-3 / PAY-6 / PAY-7 in the browser: a customer enters the account number on the public
portal, sees the masked name and what is owed, pays on the sandbox gateway's own page
(a separate process), comes back, and the signed callback has captured the payment once."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server


@pytest.mark.browser
def test_pay_3_pay_6_portal_payment_through_the_sandbox_gateway(page: Page, server: Server) -> None:
    row = server.row(
        "SELECT a.number, c.name FROM accounts a JOIN customers c ON c.id = a.customer_id "
        "WHERE c.kind = 'resident' AND a.status = 'active' ORDER BY a.id LIMIT 1"
    )
    assert row is not None
    number, customer_name = str(row[0]), str(row[1])
    page.goto("/portal/pay")
    expect(page.get_by_role("heading", name="电费缴纳")).to_be_visible()
    # The number alone shows nothing (issue 12): a wrong name is refused like a wrong number.
    page.fill("#f-account_no", number)
    page.fill("#f-proof", "不是户名")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("portal-error")).to_be_visible()
    expect(page.get_by_test_id("portal-summary")).to_have_count(0)
    page.fill("#f-account_no", number)
    page.fill("#f-proof", customer_name)
    page.get_by_role("button", name="查询").click()
    name = page.get_by_test_id("portal-name")
    expect(name).to_contain_text("*")
    page.fill("#f-amount", "88.00")
    page.click("#portal-pay")
    # The gateway's cashier page, served by the other process.
    expect(page).to_have_url(re.compile(re.escape(server.gateway_url) + r"/pay/OL\d{8}"))
    expect(page.locator("#pay-amount")).to_have_text("88.00")
    server.screenshot(page, "portal-gateway-page")
    page.click("#confirm-pay")
    expect(page).to_have_url(re.compile(r"/portal/pay/return\?merchant_order_no=OL"))
    status = page.get_by_test_id("portal-status")
    expect(status).to_have_attribute("data-status", "paid", timeout=15_000)
    server.screenshot(page, "portal-paid")

    order_no = page.url.split("merchant_order_no=")[1]
    row = server.row(
        "SELECT o.status, o.amount, p.amount, p.idempotency_key FROM payment_orders o "
        "JOIN payments p ON p.id = o.payment_id WHERE o.order_no = ?",
        order_no,
    )
    assert row is not None
    assert row[0] == "paid" and str(row[1]) in {"88", "88.0", "88.00"}
    assert str(row[3]).startswith("online:SBX")
    deliveries = httpx.get(f"{server.gateway_url}/control/deliveries").json()
    mine = [d for d in deliveries if d["merchant_order_no"] == order_no]
    assert len(mine) == 1 and mine[0]["delivered"] is True
    assert (
        server.scalar(
            "SELECT COUNT(*) FROM payments WHERE order_id = (SELECT id FROM payment_orders WHERE order_no = ?)",
            order_no,
        )
        == 1
    )


@pytest.mark.browser
def test_portal_in_english(page: Page, server: Server) -> None:
    page.goto("/lang/en?next=/portal/pay")
    expect(page.get_by_role("heading", name="Pay your electricity bill")).to_be_visible()
    page.fill("#f-account_no", "0000000000")
    page.fill("#f-proof", "Nobody")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_test_id("portal-error")).to_contain_text("account not found")
