"""Issue 13 in the browser: each post's day starts on its to-do list (待办). A checker of
余姚 logs in, sees the receipt a cashier just took, opens the top item and confirms it;
余姚's meter reader does his round on a 390 px phone: the menu folds behind a toggle, the
page never scrolls sideways, the top item leads to his unread meters and a reading takes
one off the list. The other posts land on their list and its top item opens.

余姚 accounts not used by other browser tests (TOTP replay, IAM-3). Screenshots of what
each post sees first go to SAFEGRID_SHOTS (my-work-<post>.png)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

COUNTY = "zj-nb-yy"
STATION = f"{COUNTY}-st"
PHONE = {"width": 390, "height": 844}


def _context(browser: Browser, server: Server, **extra: object) -> BrowserContext:
    ctx = browser.new_context(base_url=server.base_url, locale="zh-CN", **extra)  # type: ignore[arg-type]
    ctx.set_default_timeout(10_000)
    return ctx


def _top_item(page: Page) -> str:
    top = page.locator("[data-testid=todo] li").first
    expect(top).to_be_visible()
    key = top.get_attribute("data-todo")
    assert key is not None
    return key


@pytest.mark.browser
def test_checker_day_starts_on_the_receipt_a_cashier_just_took(
    server: Server, browser: Browser
) -> None:
    account_no = server.scalar(
        "SELECT a.number FROM accounts a JOIN org_units u ON u.id = a.org_unit_id "
        "WHERE u.code = ? ORDER BY a.id DESC LIMIT 1",
        STATION,
    )
    assert isinstance(account_no, str)
    ctx = _context(browser, server)
    page = ctx.new_page()
    server.sign_in(page, f"cashier.{COUNTY}")
    page.goto(f"/counter/desk?account_no={account_no}")
    page.fill("#f-amount", "36.50")
    with page.expect_navigation():
        page.click("[data-testid=pay-form] button[type=submit]")
    receipt_no = page.locator("[data-testid=receipt-no]").inner_text().strip()
    ctx.close()

    ctx = _context(browser, server)
    page = ctx.new_page()
    server.sign_in(page, f"checker.{COUNTY}")
    page.goto("/")
    assert _top_item(page) == "counter.receipts_to_check"
    top = page.locator("[data-testid=todo] li").first
    expect(top).to_contain_text("待我复核的收据")
    server.screenshot(page, "my-work-checker")
    with page.expect_navigation():
        top.locator("a").click()
    row = page.locator("[data-testid=to-confirm] tr", has_text=receipt_no)
    row.locator(f"[data-testid='counted-{receipt_no}']").fill("36.50")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=to-confirm]")).not_to_contain_text(receipt_no)
    ctx.close()


def _unread_meter(server: Server) -> str:
    """A meter installed on the reader's first area today, so it has no reading yet."""
    from safegrid.bootstrap import Platform
    from safegrid.config import Settings
    from safegrid.customers.schemas import CustomerCreate, MeterCreate
    from safegrid.customers.services import do_install_meter, do_register_customer
    from safegrid.customers.validation import id_check_char
    from safegrid.security.actor import Actor

    unit = server.scalar("SELECT id FROM org_units WHERE code = ?", STATION)
    area = server.scalar(
        "SELECT ra.id FROM reading_areas ra JOIN staff_accounts s ON s.id = ra.reader_id "
        "WHERE s.username = ? ORDER BY ra.id LIMIT 1",
        f"meter_reader.{STATION}",
    )
    assert isinstance(unit, int) and isinstance(area, int)
    first17 = "33028119820304561"
    platform = Platform(Settings(database_url=f"sqlite:///{server.db_path}", env="dev"))
    try:
        actor = Actor.system("e2e-setup", "cli")
        customer = do_register_customer(
            platform.uow(actor),
            CustomerCreate(
                kind="resident",
                name="孙晓燕",
                org_unit_id=unit,
                address="浙江省宁波市余姚市阳明街道新建北路18号",
                id_number=first17 + id_check_char(first17),
                mobile="13905741818",
            ),
        )
        asset = "ZJE2E0001301"
        do_install_meter(
            platform.uow(actor),
            customer,
            MeterCreate(
                asset_no=asset,
                model="DDZY71-Z",
                reading_area_id=area,
                latitude=Decimal("30.040000"),
                longitude=Decimal("121.150000"),
                installed_on=date(2026, 1, 5),
            ),
        )
    finally:
        platform.dispose()
    return asset


@pytest.mark.browser
def test_meter_reader_day_on_a_phone(server: Server, browser: Browser) -> None:
    asset = _unread_meter(server)
    ctx = _context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    server.sign_in(page, f"meter_reader.{STATION}")
    page.goto("/")
    # The menu is folded on a phone; the toggle opens it.
    expect(page.locator("nav.sidenav")).to_be_hidden()
    page.get_by_test_id("nav-toggle").click()
    expect(page.locator("nav.sidenav")).to_be_visible()
    page.get_by_test_id("nav-toggle").click()
    assert _top_item(page) == "readings.due"
    server.screenshot(page, "my-work-meter_reader-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    before = int(page.locator("[data-todo='readings.due'] [data-testid=todo-count]").inner_text())
    with page.expect_navigation():
        page.locator("[data-todo='readings.due'] a").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        page.get_by_test_id(f"enter-{asset}").click()
    page.fill("#f-total", "12.40")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto("/")
    after = page.locator("[data-todo='readings.due'] [data-testid=todo-count]")
    expect(after).to_have_text(str(before - 1))
    ctx.close()


# The rest of the posts: the list is there, the top item opens (what each sees first).
OTHERS = [
    f"finance.{COUNTY}",
    f"department_head.{COUNTY}",
    f"hall_manager.{COUNTY}",
    f"hall_agent.{STATION}",
    f"data_security_officer.{COUNTY}",
    f"system_admin.{COUNTY}",
    f"auditor.{COUNTY}-st",
    f"field_worker.{STATION}",
]


@pytest.mark.browser
def test_every_post_lands_on_its_to_do_list(server: Server, browser: Browser) -> None:
    for username in OTHERS:
        ctx = _context(browser, server)
        page = ctx.new_page()
        server.sign_in(page, username)
        page.goto("/")
        expect(page.locator("h1")).to_contain_text("我的待办")
        server.screenshot(page, f"my-work-{username.split('.')[0]}")
        # Waiting work first; a post with nothing waiting still sees its kinds of work.
        items = page.locator("[data-testid=todo] li, [data-testid=todo-idle] li")
        if items.count():
            link = items.first.locator("a")
            href = link.get_attribute("href")
            with page.expect_navigation() as nav:
                link.click()
            response = nav.value
            assert response is not None and response.status == 200, (username, href)
        else:
            expect(page.get_by_test_id("todo-none")).to_be_visible()
        ctx.close()
