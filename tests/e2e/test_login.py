"""IAM-2 and IAM-3 through the console: two factors, and the forced first-login setup."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pyotp
import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

BAD_CREDENTIALS = "用户名、密码或动态口令错误"


def _wrong_code(totp: pyotp.TOTP) -> str:
    """A code the server cannot accept: none of the steps it allows for clock drift."""
    now = time.time()
    valid = {totp.at(now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(c for c in (f"{n:06d}" for n in range(1, 10)) if c not in valid)


@pytest.mark.browser
def test_iam_3_login_needs_password_and_totp(server: Server, page: Page) -> None:
    user = "cashier.zj-hz-tl"
    login = f"{server.base_url}/login"

    response = server.sign_in(page, user, _wrong_code(server.totp(user)))
    assert response is not None
    assert response.status == 401
    expect(page).to_have_url(login)
    expect(page.get_by_test_id("login-error")).to_contain_text(BAD_CREDENTIALS)
    first_message = page.get_by_test_id("login-error").inner_text()
    expect(page.locator("#f-username")).to_have_value(user)  # kept, the secrets are not
    expect(page.locator("#f-password")).to_have_value("")

    # The right code with a wrong password fails with the very same message: the page
    # never tells which factor was wrong.
    response = server.sign_in(page, user, password="SafeGrid@2025")
    assert response is not None
    assert response.status == 401
    assert page.get_by_test_id("login-error").inner_text() == first_message
    assert not [c for c in page.context.cookies() if c["name"] == "sg_session"]

    server.sign_in(page, user)
    expect(page).to_have_url(f"{server.base_url}/")
    real_name = server.scalar("SELECT real_name FROM staff_accounts WHERE username = ?", user)
    expect(page.locator("h1")).to_contain_text(str(real_name))
    session = next(c for c in page.context.cookies() if c["name"] == "sg_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"


@pytest.mark.browser
def test_iam_2_first_login_forces_password_change(server: Server, page: Page) -> None:
    user, initial = "e2e.newcomer", "Initial#Pass2026"
    server.create_staff(user, "林新人", "cashier", "zj-hz-fy", initial)

    server.sign_in(page, user, "", password=initial)  # not enrolled yet: no code
    expect(page).to_have_url(f"{server.base_url}/account/password")
    # Until the setup is done every other page sends the user back to it.
    page.goto("/customers")
    expect(page).to_have_url(f"{server.base_url}/account/password")
    expect(page.locator("nav.sidenav")).to_have_count(0)

    page.fill("#f-current_password", initial)
    page.fill("#f-new_password", "weakpass")
    page.fill("#f-repeat_password", "weakpass")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    error = page.locator("#new_password-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("密码须包含")
    expect(page.locator("#f-new_password")).to_have_attribute("aria-invalid", "true")

    page.fill("#f-current_password", initial)
    page.fill("#f-new_password", "Better#Pass2027")
    page.fill("#f-repeat_password", "Better#Pass2027")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}/account/totp")

    # The key shown must be the account's own secret; the code comes from it.
    shown = "".join(page.get_by_test_id("totp-secret").inner_text().split())
    assert shown == server.totp(user).secret
    expect(page.locator("main")).to_contain_text(re.compile(r"otpauth://totp/"))
    server.screenshot(page, "totp-enrol")
    page.fill("#f-code", pyotp.TOTP(shown).now())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}/")
    expect(page.locator("nav.sidenav")).to_contain_text("客户档案")
    enrolled = server.scalar("SELECT totp_enrolled FROM staff_accounts WHERE username = ?", user)
    assert enrolled == 1
