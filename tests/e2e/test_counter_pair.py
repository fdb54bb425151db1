"""PAY-1 in the browser: a cashier of 象山 finds an account by its number, takes cash and
prints the receipt (gapless hall number with its date code); he has no checker screen, and
the checker — another person of the same hall — confirms the receipt against the counted
cash, so the receipt carries both signatures.

Xiangshan accounts, so no other browser test signs in as the same people (TOTP replay)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

COUNTY = "zj-nb-xs"
CASHIER = f"cashier.{COUNTY}"
CHECKER = f"checker.{COUNTY}"
RECEIPT_NO = re.compile(r"^ZJ-NB-XS-HALL-\d{8}-\d{6}$")


@pytest.mark.browser
def test_pay_1_cashier_takes_payment_and_checker_confirms_it(
    server: Server, browser: Browser
) -> None:
    account_no = server.scalar(
        "SELECT a.number FROM accounts a JOIN org_units u ON u.id = a.org_unit_id "
        "WHERE u.code = ? ORDER BY a.id LIMIT 1",
        f"{COUNTY}-st",
    )
    assert isinstance(account_no, str)

    cashier_ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    cashier_ctx.set_default_timeout(10_000)
    page = cashier_ctx.new_page()
    server.sign_in(page, CASHIER)
    page.goto("/counter/desk")
    page.fill("#f-account_no", account_no)
    page.click("[data-testid=find-account] button[type=submit]")
    expect(page.locator("[data-testid=account-card]")).to_contain_text(account_no)
    page.fill("#f-amount", "88.00")
    with page.expect_navigation():
        page.click("[data-testid=pay-form] button[type=submit]")
    receipt_no = page.locator("[data-testid=receipt-no]").inner_text().strip()
    assert RECEIPT_NO.match(receipt_no), receipt_no
    expect(page.locator("[data-testid=receipt-amount]")).to_have_text("88.00")
    expect(page.locator("[data-testid=cashier-sign]")).to_contain_text(CASHIER)
    expect(page.locator("[data-testid=checker-sign]")).to_contain_text("—")
    server.screenshot(page, "pay-1-receipt-cashier")
    receipt_url = page.url
    # The checker cannot be the cashier: the cashier has no checker screen at all…
    refused = page.goto("/counter/check")
    assert refused is not None and refused.status == 403
    cashier_ctx.close()

    checker_ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    checker_ctx.set_default_timeout(10_000)
    page = checker_ctx.new_page()
    server.sign_in(page, CHECKER)
    page.goto("/counter/check")
    row = page.locator("[data-testid=to-confirm] tr", has_text=receipt_no)
    expect(row).to_have_count(1)
    row.locator(f"[data-testid='counted-{receipt_no}']").fill("88.00")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=to-confirm]")).not_to_contain_text(receipt_no)
    page.goto(receipt_url)
    expect(page.locator("[data-testid=checker-sign]")).to_contain_text(CHECKER)
    expect(page.locator("[data-testid=receipt-status]")).to_contain_text("已复核")
    server.screenshot(page, "pay-1-receipt-both-signed")
    checker_ctx.close()

    signed = server.row(
        "SELECT cashier_name, checker_name, status FROM counter_receipts WHERE receipt_no = ?",
        receipt_no,
    )
    assert signed == (CASHIER, CHECKER, "confirmed")
