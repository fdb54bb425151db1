"""Issue 13 in the browser: each post's day starts on its to-do list (待办), follows its top
item and does it through the page; the list then shows one fewer. The cashier of 余姚
acknowledges the shortage the checker found, takes a payment and prints its receipt; the
checker confirms it; the meter reader does his round on a 390 px phone (the menu folds
behind a toggle, the page never scrolls sideways); the head closes a month, finance approves
the reader's correction of it (BILL-7) and the data security officer the data-use request
the head passed on; the team leader rejects a backwards reading; the hall agent and the
hall manager accept the 业扩 applications; the system admin activates a new colleague after
recording his training; the safety supervisor records the written review of a yellow
rectification the team leader issued. Posts with nothing to do in the demo's day (field
worker: his orders are worked in the field app, tests/e2e/test_field_app.py; contractor)
land on their list and the page of their kind of work opens; the auditor, who has no queue,
searches the audit trail and exports what he found.

余姚 accounts not used by other browser tests (TOTP replay, IAM-3). Screenshots of what
each post sees first go to SAFEGRID_SHOTS (my-work-<post>.png)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
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


def _count(page: Page, key: str) -> int:
    """The waiting count of a to-do item on the home page; 0 once it left the list."""
    item = page.locator(f"[data-testid=todo] [data-todo='{key}'] [data-testid=todo-count]")
    return int(item.inner_text()) if item.count() else 0


def _my_day(browser: Browser, server: Server, username: str, key: str) -> tuple[Page, int]:
    """Sign in, land on the to-do list with ``key`` on top, and follow it; returns the
    page of the work and how many items waited."""
    page = _context(browser, server).new_page()
    server.sign_in(page, username)
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("我的待办")
    assert _top_item(page) == key, username
    server.screenshot(page, f"my-work-{username.split('.')[0]}")
    before = _count(page, key)
    with page.expect_navigation():
        page.locator(f"[data-todo='{key}'] a").first.click()
    return page, before


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
    # The cashier's day: her receipts waiting for the checker lead to the desk, where the
    # shortage the checker recorded waits for her acknowledgement.
    page, unchecked = _my_day(browser, server, f"cashier.{COUNTY}", "counter.my_unchecked")
    shortage = page.locator("[data-testid=differences] button[data-testid^=acknowledge-]")
    expect(shortage).to_have_count(1)
    page.locator("[data-testid=differences] input[name=note]").fill("已补齐短款")
    with page.expect_navigation():
        shortage.click()
    expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.get_by_test_id("differences")).to_have_count(0)
    page.goto(f"/counter/desk?account_no={account_no}")
    page.fill("#f-amount", "36.50")
    with page.expect_navigation():
        page.click("[data-testid=pay-form] button[type=submit]")
    receipt_no = page.locator("[data-testid=receipt-no]").inner_text().strip()
    expect(page.get_by_test_id("receipt-amount")).to_have_text("36.50")
    # What the printer gets: the receipt alone, without the console's frame.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    page.emulate_media(media="screen")
    page.goto("/")
    assert _count(page, "counter.my_unchecked") == unchecked + 1
    assert _count(page, "counter.differences_to_acknowledge") == 0
    page.context.close()

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


# The head, finance and the data security officer: one county's approvals in order.
@pytest.mark.browser
def test_head_closes_a_month_finance_and_dso_decide_what_waits(
    server: Server, browser: Browser
) -> None:
    page, months = _my_day(browser, server, f"department_head.{COUNTY}", "readings.months_to_close")
    closing = page.locator("form[action='/readings/periods/close']").first
    period = closing.locator("input[name=period]").get_attribute("value")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        closing.locator("button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_contain_text(str(period))
    page.goto("/")
    assert _count(page, "readings.months_to_close") == months - 1
    # The hall agent's data-use request (the demo's workday) waits for him, then the DSO.
    page.goto("/datause")
    with page.expect_navigation():
        page.locator("[data-testid=inbox] [data-testid=approve]").first.click()
    expect(page.locator(".notice.ok")).to_be_visible()
    page.context.close()

    # With the month closed, the demo's reader proposes his correction of it (BILL-7).
    from safegrid.bootstrap import Platform
    from safegrid.config import Settings
    from safegrid.demo import workday

    platform = Platform(Settings(database_url=f"sqlite:///{server.db_path}", env="dev"))
    try:
        assert workday.propose_correction(platform, COUNTY) == 1
    finally:
        platform.dispose()
    request = server.scalar("SELECT max(id) FROM usage_correction_requests")

    page, waiting = _my_day(browser, server, f"finance.{COUNTY}", "readings.corrections_to_decide")
    assert waiting == 1
    with page.expect_navigation():
        page.get_by_test_id(f"approve-{request}").click()
    expect(page.get_by_test_id(f"correction-{request}")).to_have_count(0)
    assert (
        server.scalar("SELECT status FROM usage_correction_requests WHERE id = ?", request)
        == "approved"
    )
    page.goto("/")
    assert _count(page, "readings.corrections_to_decide") == 0
    page.context.close()

    page, waiting = _my_day(
        browser, server, f"data_security_officer.{COUNTY}", "datause.dso_approvals"
    )
    with page.expect_navigation():
        page.locator("[data-testid=inbox] [data-testid=approve]").first.click()
    expect(page.locator(".notice.ok")).to_be_visible()
    page.goto("/")
    assert _count(page, "datause.dso_approvals") == waiting - 1
    page.context.close()


@pytest.mark.browser
def test_team_leader_rejects_a_backwards_reading(server: Server, browser: Browser) -> None:
    # The demo's abnormal readings run backwards: never stored, the meter is checked instead.
    page, waiting = _my_day(browser, server, f"team_leader.{STATION}", "readings.to_review")
    first = page.locator("[data-testid=review-queue] > li").first
    first.locator("input[name=note]").fill("示数倒走，安排核查电表")
    with page.expect_navigation():
        first.locator("button[value=reject]").click()
    expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.locator("[data-testid=review-queue] > li")).to_have_count(waiting - 1)
    page.goto("/")
    assert _count(page, "readings.to_review") == waiting - 1
    page.context.close()


@pytest.mark.browser
def test_hall_agent_and_manager_accept_the_applications(server: Server, browser: Browser) -> None:
    waiting = None
    for username in (f"hall_agent.{COUNTY}", f"hall_manager.{COUNTY}"):
        page, before = _my_day(browser, server, username, "applications.to_handle")
        assert waiting is None or before == waiting - 1
        with page.expect_navigation():
            page.locator("[data-testid=application-list] tbody a").first.click()
        page.fill("#f-note", "资料齐全，予以受理")
        with page.expect_navigation():
            page.click("#application-accept")
        expect(page.get_by_test_id("application-status")).to_contain_text("已受理")
        page.goto("/")
        assert _count(page, "applications.to_handle") == before - 1
        waiting = before
        page.context.close()


@pytest.mark.browser
def test_system_admin_activates_a_trained_colleague(server: Server, browser: Browser) -> None:
    newcomer = server.create_staff(
        f"cashier2.{STATION}", "林晓燕", "cashier", STATION, "Newcomer@2026x", activate=False
    )
    page, waiting = _my_day(browser, server, f"system_admin.{COUNTY}", "governance.activation")
    row = page.locator("[data-testid=training-table] tr", has_text=f"#{newcomer}")
    row.locator("input[name=add_hours]").fill("16")
    row.locator("input[name=exam_passed]").check()
    row.locator("input[name=commitment_signed]").check()
    with page.expect_navigation():
        row.locator(f"form[action='/governance/training/{newcomer}'] button").click()
    row = page.locator("[data-testid=training-table] tr", has_text=f"#{newcomer}")
    with page.expect_navigation():
        row.locator(f"form[action='/governance/training/{newcomer}/activate'] button").click()
    expect(page.locator("[data-testid=training-table]")).not_to_contain_text(f"#{newcomer}")
    page.goto("/")
    assert _count(page, "governance.activation") == waiting - 1
    page.context.close()


@pytest.mark.browser
def test_auditor_searches_the_trail_and_exports_it(server: Server, browser: Browser) -> None:
    # An auditor's day has no queue (only his own data-use requests, none under way): he
    # searches the audit trail and takes the view away as a watermarked file (DATA-5).
    auditor = f"auditor.{STATION}"
    page = _context(browser, server).new_page()
    server.sign_in(page, auditor)
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("我的待办")
    expect(page.locator("[data-testid=todo] li")).to_have_count(0)
    page.goto("/audit")
    page.fill("#f-who", auditor)
    page.fill("#f-action", "auth.")
    with page.expect_navigation():
        page.locator("[data-testid=audit-search] button[type=submit]").click()
    expect(page.locator("p.count")).to_be_visible()
    with page.expect_download() as download:
        page.locator("[data-testid=audit-export] button[type=submit]").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "导出人 Operator" in exported  # the watermark
    assert any(auditor in line and "auth.login" in line for line in exported.splitlines())
    page.context.close()


@pytest.mark.browser
def test_safety_supervisor_records_the_written_review(server: Server, browser: Browser) -> None:
    # The demo's day has no rectification: the team leader issues a yellow one (FLD-8), the
    # supervisor's list leads to the dashboard, where he records its written review.
    rid = server.rectify(f"field_worker.{STATION}", f"team_leader.{STATION}", "yellow", "记录不全")
    page, waiting = _my_day(
        browser, server, f"safety_supervisor.{STATION}", "fieldwork.written_reviews_due"
    )
    row = page.get_by_test_id(f"rectification-{rid}")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_contain_text("整改已解除")
    expect(page.get_by_test_id(f"rectification-{rid}")).to_have_count(0)
    page.goto("/")
    assert _count(page, "fieldwork.written_reviews_due") == waiting - 1
    page.context.close()


# Nothing of theirs waits in the demo's day: the list is there and their work's page opens.
IDLE = [
    f"field_worker.{STATION}",
    f"contractor.{STATION}",
]


@pytest.mark.browser
def test_posts_with_nothing_waiting_land_on_their_list(server: Server, browser: Browser) -> None:
    for username in IDLE:
        ctx = _context(browser, server)
        page = ctx.new_page()
        server.sign_in(page, username)
        page.goto("/")
        expect(page.locator("h1")).to_contain_text("我的待办")
        server.screenshot(page, f"my-work-{username.split('.')[0]}")
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
