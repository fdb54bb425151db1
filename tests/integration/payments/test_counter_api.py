"""PAY-1/PAY-2 over the API: the pair at the counter, clear errors with the field named,
the slip upload and the trace both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safegrid.payments.counter.settings import get_counter_settings
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import Staff, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


@pytest.fixture(autouse=True)
def slip_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SAFEGRID_COUNTER_SLIP_DIR", str(tmp_path / "slips"))
    get_counter_settings.cache_clear()
    yield tmp_path / "slips"
    get_counter_settings.cache_clear()


def headers(desk: Desk, staff: Staff) -> dict[str, str]:
    return {"Authorization": f"Bearer {desk.world.token(staff)}"}


def test_pay_1_api_cashier_takes_and_checker_confirms_never_the_same_person(desk: Desk) -> None:
    client = TestClient(app_for(desk.world.platform))
    acct, bill = desk.account(bill="60.00")
    cashier, checker = headers(desk, desk.cashier), headers(desk, desk.checker)
    found = client.get(f"/api/counter/accounts/{acct}", headers=cashier).json()
    assert found["outstanding"] == "60.00" and found["open_bills"][0]["bill_id"] == bill
    bad = client.post(
        "/api/counter/payments",
        json={"account_no": acct, "amount": "-1", "request_key": "api-form-0001"},
        headers=cashier,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    made = client.post(
        "/api/counter/payments",
        json={"account_no": acct, "amount": "60.00", "request_key": "api-form-0002"},
        headers=cashier,
    )
    assert made.status_code == 201, made.text
    receipt = made.json()
    assert receipt["receipt_no"] == "HALLA-20261102-000001"
    url = f"/api/counter/receipts/{receipt['id']}/confirm"
    assert client.post(url, json={"counted": "60.00"}, headers=cashier).status_code == 403
    wrong = client.post(url, json={"counted": "6.00"}, headers=checker)
    assert wrong.status_code == 422 and wrong.json()["field"] == "counted"
    ok = client.post(url, json={"counted": "60.00"}, headers=checker)
    assert ok.status_code == 200 and ok.json()["checker_name"] == desk.checker.username
    outside = headers(desk, desk.world.staff(Post.CHECKER, "countyB"))
    assert client.get(f"/api/counter/receipts/{receipt['id']}", headers=outside).status_code == 404


def test_pay_2_api_settle_deposit_slip_and_trace(desk: Desk) -> None:
    client = TestClient(app_for(desk.world.platform))
    acct, _ = desk.account()
    receipt = desk.confirm(desk.pay(acct, "25.00"))
    cashier, checker = headers(desk, desk.cashier), headers(desk, desk.checker)
    day = "2026-11-02"
    s = client.post(
        "/api/counter/settlements",
        json={"cashier_id": desk.cashier.id, "business_day": day, "counted_cash": "25.00"},
        headers=cashier,
    )
    assert s.status_code == 201, s.text
    safe = client.post(
        f"/api/counter/settlements/{s.json()['id']}/safe", json={"bag_no": "B-7"}, headers=checker
    )
    assert safe.status_code == 200
    desk.clock.advance(timedelta(hours=20))  # next morning: new sessions
    cashier, checker = headers(desk, desk.cashier), headers(desk, desk.checker)
    dep = client.post(
        "/api/counter/deposits",
        json={
            "business_day": day,
            "bank_voucher": "ICBC-778",
            "depositor_a_id": desk.cashier.id,
            "depositor_b_id": desk.checker.id,
        },
        headers=checker,
    )
    assert dep.status_code == 201, dep.text
    deposit_id = dep.json()["id"]
    gif = client.post(
        f"/api/counter/deposits/{deposit_id}/slip",
        files={"slip": ("slip.png", b"GIF89a", "image/png")},  # the name lies; the bytes do not
        headers=checker,
    )
    assert gif.status_code == 422 and gif.json()["field"] == "slip"
    up = client.post(
        f"/api/counter/deposits/{deposit_id}/slip",
        files={"slip": ("s.png", PNG, "image/png")},
        headers=checker,
    )
    assert up.status_code == 200 and up.json()["slip_sha256"]
    got = client.get(f"/api/counter/deposits/{deposit_id}/slip", headers=cashier)
    assert got.content == PNG and got.headers["content-type"] == "image/png"
    finance = headers(desk, desk.world.staff(Post.FINANCE, "countyA"))
    trace = client.get(f"/api/counter/trace/receipts/{receipt.receipt_no}", headers=finance).json()
    assert trace["bank_voucher"] == "ICBC-778"
    assert trace["deposit"]["depositor_b_name"] == desk.checker.username
    back = client.get("/api/counter/trace/vouchers/ICBC-778", headers=finance).json()
    assert [r["receipt_no"] for r in back["receipts"]] == [receipt.receipt_no]
