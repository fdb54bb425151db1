"""HALL-6 / HALL-10 on a 390 px phone: a customer signs in to the portal with his mobile
number and the SMS code (read from the sandbox SMS outbox, as `safegrid demo portal-code`
does), binds his 户号 by the customer name, sees his open bill and starts paying it — the
online channel's order sends him to the sandbox gateway's cashier page. Then he applies
for a new connection (业扩) with his documents, and a hall agent accepts it in the back
office; the customer's tracking page shows it accepted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=server.base_url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _open_bill(server: Server, account_no: str) -> None:
    """An issued bill on the account (the browser server's demo has only 3 days of history)."""
    from sqlalchemy import select

    from safegrid.billing.models import Bill, BillKind, BillStatus
    from safegrid.bootstrap import Platform
    from safegrid.config import Settings
    from safegrid.customers.models import Account
    from safegrid.platform import clock
    from safegrid.security.actor import Actor

    platform = Platform(Settings(database_url=f"sqlite:///{server.db_path}", env="dev"))
    try:
        with platform.uow(Actor.system("e2e-portal")) as uow:
            account = uow.session.scalars(select(Account).where(Account.number == account_no)).one()
            bill = Bill(
                number=f"E2E{account.id:09d}",
                account_id=account.id,
                period="2026-10",
                kind=BillKind.NORMAL,
                sequence=1,
                status=BillStatus.ISSUED,
                kwh=Decimal("210.00"),
                amount=Decimal("123.45"),
                issued_at=clock.now(),
                due_date=clock.business_day() + timedelta(days=15),
                org_unit_id=account.org_unit_id,
            )
            uow.session.add(bill)
            uow.session.flush()
            uow.audit("bill.e2e_issue", object_type="bill", object_id=bill.id)
            uow.commit()
    finally:
        platform.dispose()


@pytest.mark.browser
def test_hall_6_phone_sign_in_bind_pay_and_apply(
    phone: BrowserContext, context: BrowserContext, server: Server
) -> None:
    row = server.row(
        "SELECT a.number, c.name FROM accounts a JOIN customers c ON c.id = a.customer_id "
        "WHERE c.kind = 'resident' AND a.status = 'active' AND NOT EXISTS "
        "(SELECT 1 FROM portal_bindings b WHERE b.account_id = a.id) ORDER BY a.id DESC LIMIT 1"
    )
    assert row is not None
    number, name = str(row[0]), str(row[1])
    _open_bill(server, number)
    page = phone.new_page()
    page.goto("/portal")  # not signed in: the portal's own sign-in page
    expect(page).to_have_url(re.compile(r"/portal/login$"))
    expect(page.get_by_role("heading", name="网上营业厅")).to_be_visible()
    page.fill("#f-mobile", "13955550123")
    page.click("#portal-send-code")
    expect(page.get_by_test_id("portal-code-sent")).to_contain_text("139****0123")
    body = server.scalar(
        "SELECT body FROM notifications WHERE topic = 'portal.sign_in' ORDER BY id DESC LIMIT 1"
    )
    code = re.search(r"\d{6}", str(body))
    assert code is not None
    page.fill("#f-code", code.group(0))
    page.click("#portal-sign-in")
    expect(page.get_by_test_id("portal-tabs")).to_be_visible()
    page.get_by_role("link", name="绑定户号").click()
    page.fill("#f-account_no", number)
    page.fill("#f-proof", name)
    page.click("#portal-bind")
    expect(page).to_have_url(re.compile(rf"/portal/accounts/{number}$"))
    expect(page.get_by_test_id("portal-bills").locator("tr[data-status='open']")).to_have_count(1)
    expect(page.get_by_test_id("portal-outstanding")).to_have_text("123.45")
    # Nothing wider than the phone: the table scrolls in its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    server.screenshot(page, "portal-phone-bills")
    page.click("#portal-pay")
    expect(page).to_have_url(re.compile(re.escape(server.gateway_url) + r"/pay/OL\d{8}"))
    expect(page.locator("#pay-amount")).to_have_text("123.45")

    # 办理业务: the form comes filled from his archive; the documents go up with it.
    page.goto("/portal/apply")
    page.get_by_test_id(f"apply-{number}").click()
    expect(page.get_by_test_id("apply-prefill")).to_contain_text(name)
    page.select_option("#f-kind", "lv_new")
    page.fill("#f-capacity_kva", "8")
    page.set_input_files(
        "#f-identity", files=[{"name": "身份证.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    page.set_input_files(
        "#f-property", files=[{"name": "房产证.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("#apply-submit")
    expect(page.get_by_test_id("apply-status")).to_have_attribute("data-status", "submitted")
    server.screenshot(page, "portal-phone-application")
    app_id = page.url.rsplit("/", 1)[1]
    # The back office: a hall agent of the county whose hall handles it accepts it.
    agent = server.scalar(
        "SELECT s.username FROM staff_accounts s JOIN org_units h ON h.parent_id = s.org_unit_id "
        "JOIN business_applications a ON a.org_unit_id = h.id "
        "WHERE a.id = ? AND s.post = 'hall_agent' ORDER BY s.id LIMIT 1",
        int(app_id),
    )
    assert agent is not None
    desk = context.new_page()
    server.sign_in(desk, str(agent))
    desk.goto(f"/applications/{app_id}")
    desk.click("#application-accept")
    expect(desk.get_by_test_id("application-status")).to_contain_text("已受理")
    page.reload()
    expect(page.get_by_test_id("apply-status")).to_have_attribute("data-status", "accepted")
