"""The console speaks Chinese by default and English on request (gettext catalogs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server


@pytest.mark.browser
def test_lang_switch_to_english(server: Server, page: Page, browser: Browser) -> None:
    server.sign_in(page, "auditor.zj-nb-yy")
    nav = page.locator("nav.sidenav")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav).to_contain_text("客户档案")

    page.goto("/org")
    with page.expect_navigation():
        page.click("header .lang a[lang=en]")
    # Back on the same page, now in English.
    expect(page).to_have_url(f"{server.base_url}/org")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for label in ("Dashboard", "Customers", "Meters", "Org units", "Staff", "Audit log"):
        expect(nav).to_contain_text(label)
    expect(nav).not_to_contain_text("客户档案")
    expect(page.locator("h1")).to_have_text("Org units")
    expect(page.get_by_test_id("who")).to_contain_text("Auditor")

    # The choice is kept on the session too: the same session in a browser without the
    # language cookie still gets English.
    session = next(c for c in page.context.cookies() if c["name"] == "sg_session")
    other = browser.new_context(base_url=server.base_url)
    try:
        other.add_cookies([session])
        fresh = other.new_page()
        fresh.goto("/")
        expect(fresh.locator("nav.sidenav")).to_contain_text("Audit log")
    finally:
        other.close()

    # The switch only ever sends people back into this site (no open redirect).
    page.goto("/lang/zh?next=//evil.example/phish")
    expect(page).to_have_url(f"{server.base_url}/")
    expect(nav).to_contain_text("客户档案")
