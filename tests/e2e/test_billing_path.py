"""BILL-2 → BILL-4 through the console: a meter reader enters a month's readings, the
department head closes the month, finance runs the bills with a live progress box, and
the bill explains itself line by line (tiers, kWh, price, amount, the one rounding)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Dialog, Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

COUNTY = "zj-hz-fy"  # Fuyang; its station's meter reader reads the new meter
STATION = f"{COUNTY}-st"
PERIOD = "2026-09"  # a month no other browser test closes


def _new_meter(server: Server) -> tuple[str, int]:
    """A new resident with a meter installed before the month, in the reader's area —
    through the archive services, as the hall would have done it. (asset no., account id)"""
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
    assert isinstance(unit, int)
    assert isinstance(area, int)
    first17 = "33018319790615381"
    platform = Platform(Settings(database_url=f"sqlite:///{server.db_path}", env="dev"))
    try:
        actor = Actor.system("e2e-setup", "cli")
        customer = do_register_customer(
            platform.uow(actor),
            CustomerCreate(
                kind="resident",
                name="方志远",
                org_unit_id=unit,
                address="浙江省杭州市富阳区富春街道江滨西路88号",
                id_number=first17 + id_check_char(first17),
                mobile="13905716688",
            ),
        )
        asset = "ZJE2E0000901"
        meter = do_install_meter(
            platform.uow(actor),
            customer,
            MeterCreate(
                asset_no=asset,
                model="DDZY71-Z",
                reading_area_id=area,
                latitude=Decimal("30.050000"),
                longitude=Decimal("119.950000"),
                installed_on=date(2026, 8, 1),
            ),
        )
    finally:
        platform.dispose()
    account = server.scalar(
        "SELECT sp.account_id FROM meters m JOIN supply_points sp ON sp.id = m.supply_point_id "
        "WHERE m.id = ?",
        meter,
    )
    assert isinstance(account, int)
    return asset, account


def _enter(page: Page, asset: str, day: str, total: str) -> None:
    page.goto(f"/readings/new?asset_no={asset}")
    page.fill("#f-read_on", day)
    page.fill("#f-total", total)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/meters/\d+/readings$"))


def _accept(dialog: Dialog) -> None:
    dialog.accept()


@pytest.mark.browser
def test_bill_4_reading_to_bill_to_explanation(server: Server, page: Page) -> None:
    asset, account = _new_meter(server)

    # 1. The meter reader enters the first and the last reading of September.
    server.sign_in(page, f"meter_reader.{STATION}")
    _enter(page, asset, f"{PERIOD}-01", "1000.00")
    _enter(page, asset, f"{PERIOD}-30", "3950.00")  # 2950 kWh: tier 1 and tier 2
    page.context.clear_cookies()

    # 2. The department head closes September for the county.
    server.sign_in(page, f"department_head.{COUNTY}")
    page.goto("/readings/periods")
    page.on("dialog", _accept)
    row = page.locator("tr", has_text=PERIOD)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_contain_text(PERIOD)
    page.context.clear_cookies()

    # 3. Finance runs the bills; the box shows progress until the run is done.
    server.sign_in(page, f"finance.{COUNTY}")
    page.goto("/billing")
    page.select_option("#f-period", PERIOD)
    page.click("[data-testid=run-bills]")
    done = page.locator("[data-testid=run-done]")
    expect(done).to_be_visible(timeout=30_000)
    expect(done).to_contain_text(PERIOD)
    server.screenshot(page, "bill-run-done")
    with page.expect_navigation():
        done.locator("a").click()
    expect(page.locator("h1")).to_contain_text(re.compile(r"\d+"))
    assert server.scalar("SELECT COUNT(*) FROM bills WHERE account_id = ?", account) == 1

    # 4. The customer's bill, read like a 电费账单.
    page.goto(f"/bills?account_id={account}")
    with page.expect_navigation():
        page.locator("[data-testid=bill-table] a[href^='/bills/']").first.click()
    expect(page.locator("[data-testid=bill-amount]")).to_have_text("¥1,596.60")
    lines = page.locator("[data-testid=bill-lines] tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("第一档电量")
    expect(lines.nth(0)).to_contain_text("2760")
    expect(lines.nth(0)).to_contain_text("0.538")
    expect(lines.nth(0)).to_contain_text("1484.88")
    expect(lines.nth(1)).to_contain_text("第二档电量")
    expect(lines.nth(1)).to_contain_text("190")
    expect(lines.nth(1)).to_contain_text("0.588")
    expect(lines.nth(1)).to_contain_text("111.72")
    explanation = page.locator("[data-testid=bill-explanation]")
    expect(explanation).to_contain_text("2760 千瓦时属第一档")
    expect(explanation).to_contain_text("190 千瓦时属第二档")
    expect(explanation).to_contain_text("一次四舍五入到分")
    server.screenshot(page, "bill-explanation-zh")

    # The same bill in English.
    page.click("a[href^='/lang/en']")
    expect(page.locator("h1")).to_contain_text("Electricity bill")
    expect(page.locator("[data-testid=bill-lines]")).to_contain_text(
        "Tier 2 (over 2760 up to 4800 kWh)"
    )
    expect(page.locator("[data-testid=bill-explanation]")).to_contain_text(
        "rounded once to the fen"
    )
    server.screenshot(page, "bill-explanation-en")
