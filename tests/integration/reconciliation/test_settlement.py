"""REC-5: the sandbox gateway's signed daily settlement file is fetched, its signature and
totals verified (a forged file is refused, logged, nothing stored), and matched three ways:
the ledger's online payments ↔ the file's trades ↔ the day's net on the bank statement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.reconciliation import settlements, writers
from safegrid.reconciliation.matching import do_run_month
from safegrid.reconciliation.models import ChannelSettlement, Colour, MatchItem
from safegrid.reconciliation.statements import do_import_statements, do_register_bank_account
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.online import Online
from tests.integration.payments.test_online_orders import _number

D = Decimal


class _Forger:
    """The channel's answer with one amount changed after signing."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.gateway_public = source.gateway_public

    @property
    def client(self) -> _Forger:
        return self

    def get(self, url: str, params: dict[str, str]) -> httpx.Response:
        body = self.source.client.get(url, params=params).json()
        body["content"] = body["content"].replace("100.00", "10.00")
        return httpx.Response(200, json=body)


def test_rec_5_settlement_file_verified_and_matched_three_ways(
    online: Online, bills: Bills
) -> None:
    w = online.world
    finance = w.actor(w.staff(Post.FINANCE, "prov"))
    paid = online.order(_number(bills), "100.00", device="d1")
    lost = online.order(_number(bills), "50.00", device="d2")
    for o in (paid, lost):
        online.gateway_client.post(f"/control/orders/{o.order_no}/pay", json={})
    # Only the first callback reaches SafeGrid: the second payment is lost on the way.
    with online.gateway.store.transaction() as conn:
        conn.execute(
            "UPDATE deliveries SET delivered = 1 WHERE merchant_order_no = ?", (lost.order_no,)
        )
    assert online.deliver() == 1
    today = clock.business_day()
    merchant = online.channel.settings.merchant_id

    with pytest.raises(ValidationProblem, match="signature is invalid"):
        settlements.do_fetch(
            w.platform.uow(finance), _Forger(online.channel), "online_sandbox", merchant, today
        )
    with w.platform.uow(w.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ChannelSettlement)) == 0
        refused = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "recon.settlement_refused")
        ).one()
    assert refused.actor_name.startswith("finance")

    settlements.do_fetch(w.platform.uow(finance), online.channel, "online_sandbox", merchant, today)
    with pytest.raises(ConflictError, match="already fetched"):
        settlements.do_fetch(
            w.platform.uow(finance), online.channel, "online_sandbox", merchant, today
        )

    do_register_bank_account(
        w.platform.uow(finance), account_no="MERCHANT-1", bank_name="招商银行", currency="CNY",
        org_unit_id=w.units["prov"],
    )  # fmt: skip
    net = D("150.00") - D("0.60") - D("0.30")  # the channel's 0.6 % fee per trade
    sheet = writers.Sheet(
        "MERCHANT-1", "T1", D("0.00"), [writers.Line(net, today, f"SANDBOX-{today:%Y%m%d}")]
    )
    do_import_statements(w.platform.uow(finance), "t1.sta", writers.mt940([sheet]))
    do_run_month(w.platform.uow(finance), f"{today:%Y-%m}")
    with w.platform.uow(w.system(), readonly=True) as uow:
        items = {i.rule: i for i in uow.session.scalars(select(MatchItem))}
    trade = items["trade_mismatch"]
    assert trade.colour == Colour.RED and trade.system_ref == lost.order_no
    assert trade.bank_amount == D("50.00") and trade.system_amount is None
    # The bank got the channel's net for both trades, the ledger knows one: red, 50 short.
    day = items["reference"]
    assert day.system_kind == "channel" and day.system_amount == D("100.00") - D("0.90")
    assert day.colour == Colour.RED and day.difference == D("50.00")
