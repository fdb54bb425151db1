"""DATA-4 in the browser: a hall agent asks to see a customer's ID number, the county's
department head and the data security officer approve, and the agent then reveals the
number on the customer page — the view lands in the access log."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

AGENT = "hall_agent.zj-hz-fy"  # Fuyang county
HEAD = "department_head.zj-hz-fy"
DSO = "data_security_officer.zj"  # province


def _customer_of(server: Server, county: str) -> int:
    path = server.scalar("SELECT path FROM org_units WHERE code = ?", county)
    found = server.scalar(
        "SELECT c.id FROM customers c JOIN org_units u ON u.id = c.org_unit_id "
        "WHERE u.path LIKE ? AND c.kind = 'resident' ORDER BY c.id LIMIT 1",
        f"{path}%",
    )
    assert isinstance(found, int), "no resident customer in the demo county"
    return found


def _approve_as(
    server: Server, browser: Browser, username: str, request_id: int, step: str
) -> None:
    ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    try:
        page = ctx.new_page()
        server.sign_in(page, username)
        page.goto("/datause")
        row = page.locator(f"[data-testid=inbox] [data-testid=request-{request_id}]")
        expect(row).to_be_visible()
        with page.expect_navigation():
            row.locator("[data-testid=approve]").click()
        expect(page.locator(".notice.ok")).to_be_visible()
        server.screenshot(page, f"datause-{step}-approved")
    finally:
        ctx.close()


@pytest.mark.browser
def test_data_4_request_approve_approve_reveal(
    server: Server, page: Page, browser: Browser
) -> None:
    customer = _customer_of(server, "zj-hz-fy")
    server.sign_in(page, AGENT)

    # Masked, and no reveal button without a grant.
    page.goto(f"/customers/{customer}")
    expect(page.locator("[data-testid=reveal-id_number]")).to_have_count(0)
    masked = page.locator("dl.facts dd.mono").nth(1).inner_text().strip()
    assert "*" in masked

    page.goto(f"/datause/requests/new?customer_id={customer}")
    page.fill("#f-purpose", "客户办理过户，需核对身份证号")
    # Nothing is ticked for the requester (issue 13): he ticks the one field he needs.
    page.check("input[name=fields][value=id_number]")
    with page.expect_navigation():
        page.click("[data-testid=submit-request]")
    expect(page).to_have_url(re.compile(r"/datause\?done=filed$"))
    request_id = server.scalar("SELECT max(id) FROM datause_requests")
    assert isinstance(request_id, int)
    expect(
        page.locator(f"[data-testid=my-requests] [data-testid=request-{request_id}]")
    ).to_contain_text("待部门负责人审批")

    _approve_as(server, browser, HEAD, request_id, "head")
    _approve_as(server, browser, DSO, request_id, "dso")
    assert (
        server.scalar("SELECT status FROM datause_requests WHERE id = ?", request_id) == "approved"
    )

    page.goto(f"/customers/{customer}")
    button = page.locator("[data-testid=reveal-id_number]")
    expect(button).to_be_visible()
    button.click()  # htmx swaps the value in place
    shown = page.locator("[data-testid=revealed-id_number]")
    expect(shown).to_be_visible()
    value = shown.inner_text().strip()
    assert re.fullmatch(r"\d{17}[\dX]", value), value
    assert masked.startswith(value[:4]) and masked.endswith(value[-2:])
    server.screenshot(page, "datause-revealed")
    logged = server.row(
        "SELECT a.field, a.channel FROM access_logs a JOIN staff_accounts s ON s.id = a.staff_id "
        "WHERE s.username = ? AND a.customer_id = ?",
        AGENT,
        customer,
    )
    assert logged == ("id_number", "web")
