"""Issue 13 (phones and speed): the bill and payment lists page by keyset — the next and
previous pages are named by the edge row, the filter and page size ride along, the count
is capped rather than taken over every row in scope — inside the caller's scope (ORG-2)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.billing.models import Bill
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import PaymentChannel
from safegrid.platform import keyset
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World


def _client(world: World) -> TestClient:
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(world.staff(Post.FINANCE, "countyA"), "console"))
    client.cookies.set(LANG_COOKIE, "zh")
    return client


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def _bill_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/bills/(\d+)">', page)]


def _payment_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/payments/trace/(\d+)">', page)]


def test_bill_list_pages_by_keyset_keeping_the_filter_in_scope(world: World, bills: Bills) -> None:
    mine, other = bills.account(), bills.account()
    periods = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    made = {p: bills.bill(mine, "10.00", period=p) for p in periods}
    # Two bills of one period (a re-issue): the id breaks the tie inside the period.
    made["2026-10b"] = bills.bill(mine, "11.00", period="2026-10")
    bills.bill(other, "20.00", period="2026-10")
    outside = bills.bill(bills.account("stationB"), "30.00", period="2026-10")
    newest_first = [made[k] for k in ("2026-10b", "2026-10", "2026-09", "2026-08", "2026-07")]
    newest_first.append(made["2026-06"])
    client = _client(world)

    first = client.get("/bills", params={"account_id": mine, "size": 4})
    assert first.status_code == 200
    assert _bill_ids(first.text) == newest_first[:4]
    assert "共 6 张账单" in first.text
    assert _link(first.text, "prev") is None and _link(first.text, "first") is None
    following = _link(first.text, "next")
    assert following is not None
    assert f"account_id={mine}" in following and "size=4" in following

    second = client.get(following)
    assert _bill_ids(second.text) == newest_first[4:]
    assert _link(second.text, "next") is None
    back = _link(second.text, "prev")
    assert back is not None and f"account_id={mine}" in back
    assert _bill_ids(client.get(back).text) == newest_first[:4]
    assert _link(second.text, "first") == f"/bills?account_id={mine}&size=4"

    # Every account in scope, one period: the other county's bill is never listed.
    october = client.get("/bills", params={"period": "2026-10", "size": 2})
    listed = _bill_ids(october.text)
    nxt = _link(october.text, "next")
    assert nxt is not None and "period=2026-10" in nxt
    listed += _bill_ids(client.get(nxt).text)
    assert outside not in listed and len(listed) == 3
    # A cursor naming a row outside the scope is an unknown page, not a way to probe it.
    assert client.get("/bills", params={"after": outside}).status_code == 422
    assert client.get("/bills", params={"after": 1, "before": 2}).status_code == 422
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(Bill.id).where(Bill.id == outside)) == outside


def test_payment_search_pages_by_keyset_with_a_capped_count(
    world: World, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [bills.account() for _ in range(2)]
    ids = []
    with world.platform.uow(world.system()) as uow:
        for n in range(5):
            channel = (
                PaymentChannel.COUNTER_CASH if n % 2 == 0 else PaymentChannel.BANK_DIRECT_DEBIT
            )
            done = ledger.capture(
                uow,
                account_id=accounts[n % 2],
                amount=Decimal("5.00"),
                channel=channel,
                idempotency_key=f"KS-{n}",
            )
            ids.append((done.payment_id, channel))
        uow.commit()
    cash = sorted((i for i, c in ids if c is PaymentChannel.COUNTER_CASH), reverse=True)
    client = _client(world)

    first = client.get("/payments", params={"channel": "counter_cash", "size": 2})
    assert _payment_ids(first.text) == cash[:2]
    following = _link(first.text, "next")
    assert following is not None and "channel=counter_cash" in following
    second = client.get(following)
    assert _payment_ids(second.text) == cash[2:]
    assert _link(second.text, "next") is None and _link(second.text, "prev") is not None

    # Beyond the cap the list says "N+" instead of counting every payment in scope.
    monkeypatch.setattr(keyset, "COUNT_CAP", 3)
    capped = client.get("/payments", params={"size": 2})
    assert "共 3+ 笔缴费" in capped.text
