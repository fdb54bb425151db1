"""IAM-4 in the browser: a station team leader applies to move one of his meter readers to
the checker post; he cannot decide his own request; the county's team leader and then its
department head approve; the province's system administrator executes. The reader's post
changes, his open session ends, and the change raises a key-field alert (AUD-3).

Tonglu accounts, so no other browser test signs in as the same people (TOTP replay)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

APPLICANT = "team_leader.zj-hz-tl-st"  # the target's own team leader, at the station
TARGET = "meter_reader.zj-hz-tl-st"
LEADER = "team_leader.zj-hz-tl"  # county team leader: the station is in his subtree
HEAD = "department_head.zj-hz-tl"
ADMIN = "system_admin.zj"
INBOX = "/governance/permission-changes"
REASON = "抄表班人员调整，转岗复核员"


def _row(page: Page, change_id: int) -> Locator:
    first_cell = page.locator("td:first-child", has_text=re.compile(rf"^\s*{change_id}\s*$"))
    return page.locator("[data-testid=permchange-table] tbody tr").filter(has=first_cell)


def _buttons(row: Locator) -> Locator:
    return row.locator("button[type=submit]")


@contextmanager
def _signed_in(server: Server, browser: Browser, username: str) -> Iterator[Page]:
    ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    try:
        page = ctx.new_page()
        server.sign_in(page, username)
        expect(page).not_to_have_url(re.compile(r"/login"))
        yield page
    finally:
        ctx.close()


def _post_from_page(page: Page, action: str, fields: dict[str, str]) -> None:
    """Send a form the page does not offer, as a user could with the browser's tools."""
    with page.expect_navigation():
        page.evaluate(
            """([action, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                // The page's CSRF token, as a user copying the page's own form would (ADR 0022).
                fields = {csrf_token: document.querySelector('meta[name="csrf-token"]').content, ...fields};
                for (const [name, value] of Object.entries(fields)) {
                    const input = document.createElement("input");
                    input.type = "hidden"; input.name = name; input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [action, fields],
        )


def _decide(server: Server, page: Page, change_id: int, shot: str) -> None:
    page.goto(INBOX)
    row = _row(page, change_id)
    expect(row).to_be_visible()
    approve = row.get_by_role("button", name="批准")
    expect(approve).to_be_visible()
    with page.expect_navigation():
        approve.click()
    expect(page).to_have_url(re.compile(r"\?done=decided$"))
    expect(page.locator(".notice.ok")).to_have_text("审批意见已记录。")
    expect(_buttons(_row(page, change_id))).to_have_count(0)
    server.screenshot(page, f"permchange-{shot}")


@pytest.mark.browser
def test_iam_4_apply_leader_head_execute(server: Server, page: Page, browser: Browser) -> None:
    target_id = server.scalar("SELECT id FROM staff_accounts WHERE username = ?", TARGET)
    assert isinstance(target_id, int)
    assert server.scalar("SELECT post FROM staff_accounts WHERE id = ?", target_id) == (
        "meter_reader"
    )
    alerts_before = server.scalar(
        "SELECT count(*) FROM alerts WHERE key_field = 'permissions' AND object_id = ?",
        str(target_id),
    )

    # The target has a session open: executing the change must end it.
    target_ctx = browser.new_context(base_url=server.base_url, locale="zh-CN")
    try:
        target_page = target_ctx.new_page()
        server.sign_in(target_page, TARGET)
        expect(target_page).not_to_have_url(re.compile(r"/login"))

        # 1. The station team leader applies for his reader, with a reason.
        server.sign_in(page, APPLICANT)
        page.goto(INBOX)
        expect(page.locator("h1")).to_have_text("权限变更")
        # A staff account, not a customer's account number (户号).
        expect(page.locator("[data-testid=permchange-table] thead")).to_contain_text("员工账号")
        page.fill("#f-target_id", str(target_id))
        page.select_option("#f-requested_post", "checker")
        page.fill("#f-reason", REASON)
        with page.expect_navigation():
            page.click("form[action='/governance/permission-changes'] button[type=submit]")
        expect(page).to_have_url(re.compile(r"\?done=applied$"))
        expect(page.locator(".notice.ok")).to_have_text("权限变更申请已提交班组长审批。")
        change_id = server.scalar(
            "SELECT max(id) FROM permission_change_requests WHERE target_id = ?", target_id
        )
        assert isinstance(change_id, int)
        row = _row(page, change_id)
        expect(row).to_contain_text(TARGET)  # whom it concerns, by name, not a bare id
        expect(row).to_contain_text("抄表员")
        expect(row).to_contain_text("复核员")
        expect(row).to_contain_text(REASON)
        expect(row).to_contain_text("待班组长审批")
        # He holds the team leader's permission, yet his own request offers him no button …
        expect(row).to_contain_text("等待他人审批")
        expect(_buttons(row)).to_have_count(0)
        server.screenshot(page, "permchange-applied")

        # … and forcing the decision is refused with the reason, nothing recorded.
        _post_from_page(
            page, f"{INBOX}/{change_id}/leader-decision", {"approve": "yes", "note": ""}
        )
        error = page.locator("[data-testid=error-page]")
        expect(error).to_have_attribute("data-status", "403")
        expect(error).to_contain_text("不能审批本人提交的申请")
        server.screenshot(page, "permchange-own-request-refused")
        assert (
            server.scalar("SELECT status FROM permission_change_requests WHERE id = ?", change_id)
            == "pending_leader"
        )

        # 2. The county team leader approves.
        with _signed_in(server, browser, LEADER) as leader:
            _decide(server, leader, change_id, "leader-approved")
            expect(_row(leader, change_id)).to_contain_text("待部门负责人审批")
        page.goto(INBOX)
        expect(_row(page, change_id)).to_contain_text("待部门负责人审批")

        # 3. The department head approves.
        with _signed_in(server, browser, HEAD) as head:
            _decide(server, head, change_id, "head-approved")
            expect(_row(head, change_id)).to_contain_text("已批准，待执行")
        assert server.row(
            "SELECT status, leader_id IS NOT NULL, head_id IS NOT NULL "
            "FROM permission_change_requests WHERE id = ?",
            change_id,
        ) == ("approved", 1, 1)
        # Approved is not executed: the reader still holds his old post.
        assert server.scalar("SELECT post FROM staff_accounts WHERE id = ?", target_id) == (
            "meter_reader"
        )

        # 4. The system administrator executes.
        with _signed_in(server, browser, ADMIN) as admin:
            admin.goto(INBOX)
            row = _row(admin, change_id)
            expect(row).to_contain_text("已批准，待执行")
            with admin.expect_navigation():
                row.get_by_role("button", name="执行").click()
            expect(admin).to_have_url(re.compile(r"\?done=executed$"))
            expect(admin.locator(".notice.ok")).to_have_text(
                "权限变更已执行，该账号的会话已全部注销。"
            )
            row = _row(admin, change_id)
            expect(row).to_contain_text("已执行")
            expect(_buttons(row)).to_have_count(0)
            server.screenshot(admin, "permchange-executed")

        # The post changed, the reader's session ended, and the change is on record.
        assert server.scalar("SELECT post FROM staff_accounts WHERE id = ?", target_id) == (
            "checker"
        )
        response = target_page.goto(INBOX)
        assert response is not None and response.status == 401
        expect(target_page.locator("form[action='/login']")).to_be_visible()
        expect(target_page.get_by_role("status")).to_contain_text("会话已过期或已注销")
    finally:
        target_ctx.close()

    actions = server.column(
        "SELECT action FROM audit_entries WHERE object_type = 'permission_change' "
        "AND object_id = ? ORDER BY seq",
        str(change_id),
    )
    assert actions == ["permchange.applied", "permchange.approved", "permchange.approved"]
    assert (
        server.scalar(
            "SELECT count(*) FROM audit_entries WHERE action = 'permchange.executed' "
            "AND object_type = 'staff_account' AND object_id = ?",
            str(target_id),
        )
        == 1
    )
    alerts_after = server.scalar(
        "SELECT count(*) FROM alerts WHERE key_field = 'permissions' AND object_id = ?",
        str(target_id),
    )
    assert isinstance(alerts_before, int) and alerts_after == alerts_before + 1
