"""OPS-3 and OPS-2 in the browser: the Ningbo city data security officer opens the
security posture (each line links to where it is fixed), then runs the "freeze and open a
case" playbook on a checker of his city — first as a dry run, which changes nothing, then
for real: the checker's account is frozen, a case is open and the run is listed.

Ningbo city accounts, so no other browser test signs in as the same people (TOTP replay)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

DSO = "data_security_officer.zj-nb"
TARGET = "checker.zj-nb-yy"


@pytest.mark.browser
def test_ops_3_posture_and_ops_2_playbook_freezes_an_account(
    server: Server, browser: Browser
) -> None:
    target_id = server.scalar("SELECT id FROM staff_accounts WHERE username = ?", TARGET)
    assert server.scalar("SELECT status FROM staff_accounts WHERE id = ?", target_id) == "active"
    ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    try:
        page = ctx.new_page()
        server.sign_in(page, DSO)
        expect(page).not_to_have_url(re.compile(r"/login"))
        page.goto("/secops/posture")
        table = page.locator("[data-testid=posture-table]")
        expect(table).to_contain_text("未绑定动态口令的在用账号")
        expect(table.locator("tr[data-item=audit_chain] a")).to_have_attribute("href", "/audit")
        expect(table.locator("tr[data-item=grants] a")).to_have_attribute("href", "/datause/grants")
        server.screenshot(page, "secops-posture")

        page.goto("/secops/detections")
        form = page.locator("[data-testid=run-playbook]")
        form.locator("select[name=playbook]").select_option("contain_insider")
        form.locator("input[name=account_id]").fill(str(target_id))
        form.locator("input[name=reason]").fill("夜间批量导出客户数据 / bulk export at night")
        form.locator("input[name=dry_run]").check()
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        expect(page.locator(".notice.ok")).to_contain_text("演练")
        assert server.scalar("SELECT status FROM staff_accounts WHERE id = ?", target_id) == (
            "active"
        )

        form.locator("select[name=playbook]").select_option("contain_insider")
        form.locator("input[name=account_id]").fill(str(target_id))
        form.locator("input[name=reason]").fill("夜间批量导出客户数据 / bulk export at night")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        expect(page.locator(".notice.ok")).to_contain_text("已执行")
        runs = page.locator("[data-testid=runs-table]")
        expect(runs).to_contain_text("contain_insider")
        expect(runs).to_contain_text("frozen=True")
        expect(page.locator("[data-testid=cases-table]")).to_contain_text("SC")
        server.screenshot(page, "secops-playbook-frozen")
    finally:
        ctx.close()
    assert server.scalar("SELECT status FROM staff_accounts WHERE id = ?", target_id) == "frozen"
