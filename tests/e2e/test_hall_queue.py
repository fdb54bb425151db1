"""HALL-2 / HALL-3 in the browser: a customer takes a ticket at the Tonglu hall's kiosk;
the agent calls it at window 1, completes it and the customer rates it on the evaluation
pad; the hall's monitor and display board show the change. Tonglu accounts, so no other
browser test signs in as the same person (TOTP replay)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect

if TYPE_CHECKING:  # the fixture's type; tests never import conftest at run time
    from conftest import Server

HALL = "zj-hz-tl-hall"
AGENT = "hall_agent.zj-hz-tl"


@pytest.mark.browser
def test_hall_2_kiosk_ticket_called_rated_and_seen_on_the_monitor(
    server: Server, browser: Browser
) -> None:
    hall_id = server.scalar("SELECT id FROM org_units WHERE code = ?", HALL)
    window_id = server.scalar(
        "SELECT id FROM hall_windows WHERE org_unit_id = ? AND number = 1", hall_id
    )
    kiosk = browser.new_context(base_url=server.base_url, locale="zh-CN")
    kiosk.set_default_timeout(10_000)
    page = kiosk.new_page()
    page.goto(f"/hall/kiosk/{hall_id}")
    page.click("[data-testid=kiosk-payment]")
    number = page.locator("[data-testid=ticket-number]").inner_text().strip()
    assert number.startswith("A")
    server.screenshot(page, "hall-kiosk-ticket")
    board = kiosk.new_page()
    board.goto(f"/hall/board/{hall_id}")

    agent = browser.new_context(base_url=server.base_url, locale="zh-CN")
    agent.set_default_timeout(10_000)
    desk = agent.new_page()
    server.sign_in(desk, AGENT)
    desk.goto(f"/hall/{hall_id}/monitor")
    completed_before = int(desk.get_by_test_id("hall-completed").inner_text())
    desk.goto(f"/hall/windows/{window_id}")
    desk.click("#desk-call-next")
    expect(desk.get_by_test_id("desk-serving")).to_have_text(number)
    # The board hears the call (server-sent event, or its fallback poll).
    expect(board.get_by_test_id("board-calls")).to_contain_text(number)
    server.screenshot(board, "hall-board")
    desk.click("#desk-complete")
    expect(desk.get_by_test_id("desk-rating")).to_contain_text(number)
    desk.check("input[name=score][value='4']")
    desk.fill("#f-comment", "办理很快")
    desk.click("#desk-rate")
    expect(desk.get_by_test_id("desk-rating")).to_have_count(0)

    desk.goto(f"/hall/{hall_id}/monitor")
    expect(desk.get_by_test_id("hall-completed")).to_have_text(str(completed_before + 1))
    server.screenshot(desk, "hall-monitor")
    rating = server.scalar(
        "SELECT rating FROM hall_tickets WHERE org_unit_id = ? AND number = ? "
        "ORDER BY id DESC LIMIT 1",
        hall_id,
        number,
    )
    assert rating == 4
    kiosk.close()
    agent.close()
