"""PAY-1/PAY-2 in the console: the cashier's screen, the printable receipt, the checker's
screen, the daily settlement page with the slip upload, and the trace page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safegrid.payments.counter.settings import get_counter_settings
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import Staff, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def desk(
    world: World, bills: Bills, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    monkeypatch.setenv("SAFEGRID_COUNTER_SLIP_DIR", str(tmp_path / "slips"))
    get_counter_settings.cache_clear()
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)
    get_counter_settings.cache_clear()


def client_of(desk: Desk, staff: Staff) -> TestClient:
    client = TestClient(app_for(desk.world.platform))
    client.cookies.set(SESSION_COOKIE, desk.world.token(staff, "console"))
    return client


def test_pay_1_console_cashier_takes_payment_checker_confirms(desk: Desk) -> None:
    acct, _ = desk.account(bill="75.30")
    cashier = client_of(desk, desk.cashier)
    page = cashier.get(f"/counter/desk?account_no={acct}")
    assert page.status_code == 200 and "75.30" in page.text
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', page.text)
    assert key is not None
    form = {"account_no": acct, "amount": "75.30", "method": "cash", "request_key": key.group(1)}
    done = cashier.post("/counter/desk/payments", data=form, follow_redirects=False)
    assert done.status_code == 303
    receipt = cashier.get(done.headers["location"])
    assert "HALLA-20261102-000001" in receipt.text and desk.cashier.username in receipt.text
    again = cashier.post("/counter/desk/payments", data=form, follow_redirects=False)
    assert again.headers["location"] == done.headers["location"]  # a double click: one receipt
    receipt_id = done.headers["location"].rsplit("/", 1)[1]
    assert cashier.get("/counter/check").status_code == 403  # a cashier has no checker screen
    checker = client_of(desk, desk.checker)
    screen = checker.get("/counter/check")
    assert "HALLA-20261102-000001" in screen.text
    bad = checker.post(f"/counter/receipts/{receipt_id}/confirm", data={"counted": "75.00"})
    assert bad.status_code == 422
    ok = checker.post(
        f"/counter/receipts/{receipt_id}/confirm", data={"counted": "75.30"}, follow_redirects=False
    )
    assert ok.status_code == 303
    signed = checker.get(f"/counter/receipts/{receipt_id}")
    assert desk.checker.username in signed.text
    assert "HALLA-20261102-000001" not in checker.get("/counter/check").text


def test_pay_2_console_settlement_deposit_slip_and_trace(desk: Desk) -> None:
    acct, _ = desk.account()
    receipt = desk.confirm(desk.pay(acct, "40.00"))
    checker = client_of(desk, desk.checker)
    page = checker.get("/counter/settlement?day=2026-11-02")
    assert page.status_code == 200 and desk.cashier.username in page.text
    form = {
        "cashier_id": str(desk.cashier.id),
        "business_day": "2026-11-02",
        "counted_cash": "40.00",
    }
    assert (
        checker.post("/counter/settlement/drawers", data=form, follow_redirects=False).status_code
        == 303
    )
    page = checker.get("/counter/settlement?day=2026-11-02")
    sid = re.search(r"/counter/settlement/drawers/(\d+)/safe", page.text)
    assert sid is not None
    checker.post(f"/counter/settlement/drawers/{sid.group(1)}/safe", data={"bag_no": "B-3"})
    desk.clock.advance(timedelta(hours=22))  # next morning, 08:00
    checker = client_of(desk, desk.checker)
    deposit = {
        "business_day": "2026-11-02",
        "bank_voucher": "CCB-5501",
        "depositor_a_id": str(desk.cashier.id),
        "depositor_b_id": str(desk.checker.id),
    }
    assert (
        checker.post(
            "/counter/settlement/deposits", data=deposit, follow_redirects=False
        ).status_code
        == 303
    )
    page = checker.get("/counter/settlement?day=2026-11-02")
    dep = re.search(r"/counter/settlement/deposits/(\d+)/slip", page.text)
    assert dep is not None and "CCB-5501" in page.text
    up = checker.post(
        dep.group(0), files={"slip": ("slip.png", PNG, "image/png")}, follow_redirects=False
    )
    assert up.status_code == 303
    assert checker.get(dep.group(0)).content == PNG
    auditor = client_of(desk, desk.world.staff(Post.AUDITOR, "countyA"))
    trace = auditor.get(f"/counter/trace?q={receipt.receipt_no}")
    assert "CCB-5501" in trace.text and desk.checker.username in trace.text
    back = auditor.get("/counter/trace?q=CCB-5501")
    assert receipt.receipt_no in back.text


def test_pay_1_console_void_asked_then_declined_by_the_other(desk: Desk) -> None:
    acct, _ = desk.account()
    receipt = desk.confirm(desk.pay(acct, "12.00"))
    cashier, checker = client_of(desk, desk.cashier), client_of(desk, desk.checker)
    asked = cashier.post(
        f"/counter/receipts/{receipt.id}/void-request",
        data={"reason": "录错户号"},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    mine = cashier.get(f"/counter/receipts/{receipt.id}").text
    assert "void-cancel" in mine and "void-cosign" not in mine  # the asker may withdraw
    theirs = checker.get(f"/counter/receipts/{receipt.id}").text
    assert "void-cancel" in theirs and "void-cosign" in theirs  # the other: co-sign or decline
    done = checker.post(
        f"/counter/receipts/{receipt.id}/void-cancel", data={"note": ""}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=void_cancelled")
    page = checker.get(done.headers["location"]).text
    assert "void-cancel" not in page and "作废申请已关闭" in page
