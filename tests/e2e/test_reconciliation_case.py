"""REC-1..4 in the browser:象山's finance uploads a bank statement holding a credit SafeGrid
never received, runs the month from the match board and sees it red with its case; he
records the cause (technical, with the fix ticket) and cannot close it himself; the
department head — a second person — closes the case and signs the month's report off with
his one-time code, and the archive checks out.

A month long before the demo's data (nothing else of it to match), and Xiangshan's finance
and head, whom no other browser test signs in as (TOTP replay)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from safegrid.reconciliation import writers

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

COUNTY = "zj-nb-xs"
FINANCE = f"finance.{COUNTY}"
HEAD = f"department_head.{COUNTY}"
PERIOD = "2025-01"
ACCOUNT = "3302250000000001"
STRAY = "E2E-UNKNOWN-0117"


def _page(browser: Browser, server: Server, username: str) -> Page:
    ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    server.sign_in(page, username)
    return page


def _next_code(server: Server, username: str) -> str:
    """The code of the step after the login's: the one step of drift the server allows
    takes it at once, where the current step (spent by the login) would mean waiting."""
    totp = server.totp(username)
    last = server.scalar("SELECT totp_last_step FROM staff_accounts WHERE username = ?", username)
    now = int(time.time()) // totp.interval
    step = now if not isinstance(last, int) else max(now, last + 1)
    return totp.generate_otp(step) if step <= now + 1 else server.fresh_code(username)


@pytest.mark.browser
def test_rec_1_to_4_red_item_to_closed_case_and_signed_report(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    unit_id = server.scalar("SELECT id FROM org_units WHERE code = ?", COUNTY)
    cli = Path(sys.executable).with_name("safegrid")
    subprocess.run(
        [str(cli), "statements", "add-account", ACCOUNT, "--bank-name", "宁波银行象山支行",
         "--org-unit-id", str(unit_id), "--as", FINANCE],
        env=server.env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    sheet = writers.Sheet(
        ACCOUNT, "XS-2501", Decimal("10000.00"),
        [writers.Line(Decimal("55.00"), date(2025, 1, 17), STRAY),
         writers.Line(Decimal("-0.01"), date(2025, 1, 31), "FEE-2501")],
    )  # fmt: skip
    statement = tmp_path / "xs-2025-01.xml"
    statement.write_bytes(writers.camt053([sheet], version=8))
    finance = _page(browser, server, FINANCE)
    finance.goto("/reconciliation/statements")
    finance.set_input_files("#f-file", str(statement))
    with finance.expect_navigation():
        finance.click("button[name=action][value=import]")
    expect(finance.locator("[data-testid=statement-imported]")).to_be_visible()
    finance.goto(f"/reconciliation?period={PERIOD}")
    with finance.expect_navigation():
        finance.click("[data-testid=recon-run] button[type=submit]")
    red = finance.locator("[data-testid=recon-items] tr[data-colour=red]", has_text=STRAY)
    expect(red).to_have_count(1)
    with finance.expect_navigation():
        red.locator("[data-testid=item-case]").click()
    case_id = finance.url.rsplit("#case-", 1)[1]
    row = finance.locator(f"#case-{case_id}")
    expect(row).to_contain_text("剩余 5 个工作日")
    row.locator("summary").click()
    form = row.locator("[data-testid=case-resolve]")
    form.locator("select[name=cause]").select_option("technical")
    form.locator("textarea[name=detail]").fill("银行入账未推送 / bank credit never pushed")
    form.locator("input[name=ticket]").fill("IF-2025-017")
    with finance.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(finance.locator(f"#case-{case_id}")).to_have_attribute("data-status", "resolved")
    expect(finance.locator(f"#case-{case_id}")).to_contain_text("等待另一人关闭")
    server.screenshot(finance, "rec-3-case-resolved")

    head = _page(browser, server, HEAD)
    expect(head.locator("body")).to_contain_text("待我作为第二人关闭的对账工单")
    head.goto("/reconciliation/cases")
    close = head.locator(f"#case-{case_id} [data-testid=case-close]")
    close.locator("input[name=note]").fill("已核对修复工单 / fix ticket checked")
    with head.expect_navigation():
        close.locator("button[type=submit]").click()
    head.goto("/reconciliation/cases?show=closed")
    expect(head.locator(f"#case-{case_id}")).to_have_attribute("data-status", "closed")

    head.goto(f"/reconciliation/report?period={PERIOD}")
    expect(head.locator("[data-testid=report-differences]")).to_contain_text(STRAY)
    head.fill("[data-testid=report-sign] input[name=otp]", _next_code(server, HEAD))
    with head.expect_navigation():
        head.click("[data-testid=report-sign] button[type=submit]")
    expect(head.locator("[data-testid=report-signed]")).to_contain_text(HEAD)
    with head.expect_download() as download:
        head.click("a[href$='kind=pdf']")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    head.click("form[action='/reconciliation/report/verify'] button[type=submit]")
    expect(head.locator("[data-testid=report-verdict]")).to_contain_text("SHA-256")
    server.screenshot(head, "rec-4-report-signed")
    assert server.row(
        "SELECT status, resolved_by, closed_by FROM recon_cases WHERE id = ?", int(case_id)
    ) == ("closed", FINANCE, HEAD)
