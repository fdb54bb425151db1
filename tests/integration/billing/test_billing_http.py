"""BILL-4 through HTTP: the bill-run API (201, 422 naming the field for an unclosed
period), the bill explanation API, reversal, and the console pages — run with progress,
the bill read like a 电费账单, the bill list linked from the customer page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.billing.models import Bill, BillRun
from safegrid.bootstrap import Platform
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.tariffs.models import TariffVersion
from tests.fixtures.apps import app_for
from tests.fixtures.billing import SYSTEM, new_account, seed_tariffs, set_period, set_usage
from tests.fixtures.world import World


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _count(world: World, model: type) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _october(world: World) -> int:
    """A county-A account with 2700 kWh billed in September and 300 kWh in closed October."""
    seed_tariffs(world)
    account, meter = new_account(world, "stationA")
    set_usage(world, meter, account, "2026-09", "2700")
    set_usage(world, meter, account, "2026-10", "300")
    set_period(world, "2026-09")
    from safegrid.billing.services import do_run_bills

    do_run_bills(world.platform.uow(SYSTEM), "2026-09")
    return account


def _api(world: World, post: Post, unit: str = "countyA") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(world.staff(post, unit))}"}


def _console(client: TestClient, world: World, post: Post, unit: str = "countyA") -> None:
    client.cookies.set(SESSION_COOKIE, world.token(world.staff(post, unit), "console"))


def test_bill_4_api_refuses_unclosed_period_naming_the_field(
    world: World, client: TestClient
) -> None:
    _october(world)  # October usage exists but the period is still open
    runs = _count(world, BillRun)
    resp = client.post(
        "/api/billing/runs", json={"period": "2026-10"}, headers=_api(world, Post.FINANCE)
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == "period"
    assert "2026-10" in resp.json()["detail"]
    assert _count(world, BillRun) == runs
    bad = client.post(
        "/api/billing/runs", json={"period": "10/2026"}, headers=_api(world, Post.FINANCE)
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "period"]


def test_bill_4_api_run_then_explain_then_reverse(world: World, client: TestClient) -> None:
    account = _october(world)
    set_period(world, "2026-10")
    finance = _api(world, Post.FINANCE)
    resp = client.post(
        "/api/billing/runs", json={"period": "2026-10", "due_days": 20}, headers=finance
    )
    assert resp.status_code == 201, resp.text
    run = resp.json()
    assert (run["bills_created"], run["total_amount"]) == (1, "173.40")
    assert client.get(f"/api/billing/runs/{run['id']}", headers=finance).json()["id"] == run["id"]

    bills = client.get(f"/api/bills?account_id={account}&period=2026-10", headers=finance).json()
    assert bills["total"] == 1
    bill = client.get(f"/api/bills/{bills['items'][0]['id']}", headers=finance).json()
    assert bill["amount"] == "173.40"
    assert [(x["kind"], x["tier"], x["kwh"], x["price"]) for x in bill["lines"]] == [
        ("tier1", 1, "60.00", "0.5380"),
        ("tier2", 2, "240.00", "0.5880"),
    ]
    assert Decimal(bill["exact_amount"]) == Decimal("173.40")

    # An auditor may read bills but not reverse them.
    auditor = _api(world, Post.AUDITOR)
    assert client.get(f"/api/bills/{bill['id']}", headers=auditor).status_code == 200
    denied = client.post(
        f"/api/bills/{bill['id']}/reverse", json={"reason": "审计不可冲正"}, headers=auditor
    )
    assert denied.status_code == 403
    reversal = client.post(
        f"/api/bills/{bill['id']}/reverse", json={"reason": "抄表数据有误"}, headers=finance
    )
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["amount"] == "-173.40"
    assert reversal.json()["reverses"]["id"] == bill["id"]
    again = client.post(
        f"/api/bills/{bill['id']}/reverse", json={"reason": "抄表数据有误"}, headers=finance
    )
    assert again.status_code == 409


def test_bill_4_county_b_cannot_read_county_a_bills(world: World, client: TestClient) -> None:
    _october(world)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        bill_id = uow.session.scalar(select(Bill.id))
    resp = client.get(f"/api/bills/{bill_id}", headers=_api(world, Post.FINANCE, "countyB"))
    assert resp.status_code == 404


def test_bill_4_console_run_without_js_lands_on_the_run(world: World, client: TestClient) -> None:
    _october(world)
    set_period(world, "2026-10")
    _console(client, world, Post.FINANCE)
    page = client.get("/billing")
    assert page.status_code == 200
    assert "2026-10" in page.text
    resp = client.post("/billing/runs", data={"period": "2026-10"}, follow_redirects=False)
    assert resp.status_code == 303
    run_page = client.get(resp.headers["location"])
    assert run_page.status_code == 200
    assert "173.40" in run_page.text


def test_bill_4_console_run_with_htmx_shows_progress_until_done(
    world: World, client: TestClient
) -> None:
    _october(world)
    set_period(world, "2026-10")
    _console(client, world, Post.DEPARTMENT_HEAD)
    hx = {"HX-Request": "true"}
    started = client.post("/billing/runs", data={"period": "2026-10"}, headers=hx)
    assert started.status_code == 200
    assert 'data-testid="run-' in started.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        fragment = client.get("/billing/runs/progress", headers=hx).text
        if 'data-testid="run-done"' in fragment:
            break
        assert 'data-testid="run-error"' not in fragment, fragment
        time.sleep(0.1)
    else:
        pytest.fail("the background run did not finish")
    assert "/billing/runs/" in fragment
    assert _count(world, Bill) == 2


def test_bill_4_console_refuses_an_open_period_in_the_progress_box(
    world: World, client: TestClient
) -> None:
    _october(world)
    _console(client, world, Post.FINANCE)
    resp = client.post("/billing/runs", data={"period": "2026-10"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200  # htmx swaps 2xx only: the refusal is shown in the box
    assert 'data-testid="run-error"' in resp.text
    assert "2026-10" in resp.text
    plain = client.post("/billing/runs", data={"period": "2026-10"}, follow_redirects=False)
    assert plain.status_code == 422


def test_bill_4_console_bill_reads_like_a_bill_in_chinese_and_english(
    world: World, client: TestClient
) -> None:
    account = _october(world)
    set_period(world, "2026-10")
    from safegrid.billing.services import do_run_bills

    do_run_bills(world.platform.uow(SYSTEM), "2026-10")
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        bill_id = uow.session.scalar(select(Bill.id).where(Bill.period == "2026-10"))
    _console(client, world, Post.HALL_AGENT)
    zh = client.get(f"/bills/{bill_id}")
    assert zh.status_code == 200
    for text in ("电费账单", "第一档电量", "第二档电量", "173.40", "2700", "一次四舍五入到分"):
        assert text in zh.text, text
    assert "/reverse" not in zh.text  # a hall agent reads bills but cannot reverse them
    client.cookies.set("sg_lang", "en")
    en = client.get(f"/bills/{bill_id}")
    for text in (
        "Electricity bill",
        "Tier 2 (over 2760 up to 4800 kWh)",
        "rounded once to the fen",
        "173.40",
    ):
        assert text in en.text, text
    assert "第二档" not in en.text
    listing = client.get(f"/bills?account_id={account}")
    assert listing.status_code == 200
    assert listing.text.count("/bills/") >= 2
    customer = client.get(f"/customers/{_customer_of(world, account)}")
    assert f"/bills?account_id={account}" in customer.text


def _customer_of(world: World, account_id: int) -> int:
    from safegrid.customers.models import Account

    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return int(uow.session.scalar(select(Account.customer_id).where(Account.id == account_id)))


def test_bill_4_console_reverse_then_page_shows_the_link(world: World, client: TestClient) -> None:
    _october(world)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        bill_id = uow.session.scalar(select(Bill.id))
    _console(client, world, Post.FINANCE)
    short = client.post(f"/bills/{bill_id}/reverse", data={"reason": "x"})
    assert short.status_code == 422
    resp = client.post(
        f"/bills/{bill_id}/reverse", data={"reason": "电量录入错误"}, follow_redirects=False
    )
    assert resp.status_code == 303
    reversal = client.get(resp.headers["location"])
    assert "冲正账单" in reversal.text
    assert "电量录入错误" in reversal.text
    assert "-1452.60" in reversal.text


def test_bill_3_console_tariffs_and_version_form(world: World, client: TestClient) -> None:
    seed_tariffs(world)
    _console(client, world, Post.DEPARTMENT_HEAD)
    listing = client.get("/tariffs")
    assert listing.status_code == 200
    assert "ZJ-RES" in listing.text
    assert "0.5380" in listing.text
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        from safegrid.tariffs.models import Tariff

        tariff_id = uow.session.scalar(select(Tariff.id).where(Tariff.code == "ZJ-RES"))
    page = client.get(f"/tariffs/{tariff_id}")
    assert 'name="base_price"' in page.text
    versions = _count(world, TariffVersion)
    form = {
        "effective_from": "2027-01-01",
        "base_price": "0.548",
        "peak_price": "0.578",
        "valley_price": "0.298",
        "tier1_limit": "2760",
        "tier2_limit": "4800",
        "tier2_addon": "0.05",
        "tier3_addon": "0.30",
    }
    overlap = client.post(f"/tariffs/{tariff_id}/versions", data=form)
    assert overlap.status_code == 422
    assert 'id="effective_from-error"' in overlap.text
    missing = client.post(
        f"/tariffs/{tariff_id}/versions", data={**form, "tier1_limit": "", "close_current": "on"}
    )
    assert missing.status_code == 422
    assert 'id="tier1_limit-error"' in missing.text
    assert 'value="0.548"' in missing.text  # what was typed stays
    assert _count(world, TariffVersion) == versions
    ok = client.post(
        f"/tariffs/{tariff_id}/versions",
        data={**form, "close_current": "on"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    assert _count(world, TariffVersion) == versions + 1
    # A finance officer reads tariffs but has no form.
    _console(client, world, Post.FINANCE)
    assert 'name="base_price"' not in client.get(f"/tariffs/{tariff_id}").text
