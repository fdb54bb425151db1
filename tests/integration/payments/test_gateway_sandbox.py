"""The sandbox gateway (PAY-6, PAY-7): merchant requests and callbacks are RSA2-signed,
its state survives a restart, retries back off, tamper mode reports another amount, and
production refuses the generated development keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safegrid.payments.online import keys, signing
from safegrid_sandbox.gateway.core import SandboxGateway
from safegrid_sandbox.gateway.store import GatewayStore
from tests.fixtures.online import Online


def _order(online: Online, no: str, amount: str = "100.00") -> dict[str, str]:
    return signing.signed(
        {
            "merchant_id": "safegrid-dev",
            "merchant_order_no": no,
            "amount": amount,
            "subject": "电费",
            "return_url": "http://testserver/portal/pay/return",
            "timestamp": "1",
        },
        online.channel.merchant_key,
    )


def test_pay_6_gateway_accepts_only_merchant_signed_orders(online: Online) -> None:
    gw = online.gateway_client
    form = _order(online, "OLTEST1")
    assert gw.post("/gateway/orders", data=form).json()["status"] == "created"
    assert gw.post("/gateway/orders", data=form).status_code == 200  # idempotent
    assert gw.post("/gateway/orders", data={**form, "amount": "1.00"}).status_code == 401
    resigned = _order(online, "OLTEST1", "1.00")
    assert gw.post("/gateway/orders", data=resigned).status_code == 409
    unsigned = {k: v for k, v in form.items() if k != "sign"}
    assert gw.post("/gateway/orders", data=unsigned).status_code == 401
    bad = _order(online, "OLTEST2", "-1.00")
    resp = gw.post("/gateway/orders", data=bad)
    assert resp.status_code == 422 and resp.json()["field"] == "amount"


def test_pay_6_callbacks_are_rsa2_signed_by_the_gateway(online: Online) -> None:
    online.gateway_client.post("/gateway/orders", data=_order(online, "OLTEST3"))
    paid = online.gateway_client.post("/control/orders/OLTEST3/pay").json()
    (d,) = online.gateway_client.get("/control/deliveries").json()
    assert d["trade_no"] == paid["trade_no"] and d["amount"] == "100.00"
    form = json.loads(online.gateway.store.delivery(paid["trade_no"]).body)  # type: ignore[union-attr]
    assert form["sign_type"] == "RSA2"
    assert signing.verify(form, online.channel.gateway_public)
    assert not signing.verify({**form, "amount": "10.00"}, online.channel.gateway_public)
    assert not signing.verify(form, online.channel.merchant_key.public_key())


def test_pay_6_tamper_mode_pays_100_reports_10(online: Online) -> None:
    gw = online.gateway_client
    gw.post("/gateway/orders", data=_order(online, "OLTEST4"))
    assert gw.post("/control/tamper", json={"report_amount": "10.00"}).json() == {
        "report_amount": "10.00"
    }
    paid = gw.post("/control/orders/OLTEST4/pay").json()
    assert (paid["amount"], paid["reported_amount"]) == ("100.00", "10.00")
    assert gw.post("/control/tamper", json={"report_amount": None}).json() == {
        "report_amount": None
    }


def test_pay_7_gateway_state_and_undelivered_callbacks_survive_a_restart(
    online: Online, channel_keys: Path, tmp_path: Path
) -> None:
    online.gateway_client.post("/gateway/orders", data=_order(online, "OLTEST5"))
    online.gateway.pay("OLTEST5")
    online.gateway.store.close()
    restarted = SandboxGateway(
        GatewayStore(tmp_path / "gateway.db"),
        keys.ensure_dev_keypair(channel_keys, keys.GATEWAY),
        keys.ensure_dev_keypair(channel_keys, keys.MERCHANT).public_key(),
    )
    (d,) = restarted.store.deliveries(delivered=False)
    assert d.merchant_order_no == "OLTEST5" and not d.delivered
    online.gateway = restarted  # so the fixture closes this one


def test_pay_7_retry_backoff_doubles_up_to_the_cap(tmp_path: Path, channel_keys: Path) -> None:
    gw = SandboxGateway(
        GatewayStore(tmp_path / "g.db"),
        keys.ensure_dev_keypair(channel_keys, keys.GATEWAY),
        keys.ensure_dev_keypair(channel_keys, keys.MERCHANT).public_key(),
        retry_base=0.5,
        retry_max=4.0,
    )
    assert [gw.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    gw.store.close()


def test_pay_6_production_refuses_development_keys(channel_keys: Path) -> None:
    with pytest.raises(keys.ChannelKeyError):
        keys.private_key("prod", None, channel_keys, keys.MERCHANT)
    with pytest.raises(keys.ChannelKeyError):
        keys.private_key("prod", channel_keys / "dev-merchant.pem", channel_keys, keys.MERCHANT)
    with pytest.raises(keys.ChannelKeyError):
        keys.public_key("prod", None, channel_keys, keys.GATEWAY)
    # dev/test use them
    assert keys.private_key("test", None, channel_keys, keys.MERCHANT).key_size == 2048
