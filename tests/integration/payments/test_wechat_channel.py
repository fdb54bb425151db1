"""PAY-6 / PAY-7 for a second channel: a WeChat-Pay-style adapter (RSA-SHA256 over
``timestamp\\nnonce\\nbody\\n`` in headers, the transaction AES-256-GCM-encrypted in the body)
registered next to the sandbox. Its callbacks take the same one route to the ledger — the
durable inbox and its applier: a valid callback is acknowledged once in the inbox and
applied once; a forged one (wrong key, altered body) and a stale replay are refused and
recorded; a repeat inside the window is answered without a second payment."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from safegrid.customers.models import Account
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.payments.online import keys, wechat
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.callbacks.models import CallbackInbox, InboxState
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.online.orders import do_create_order, portal_actor
from safegrid.payments.online.registry import entry, set_channel
from safegrid.payments.online.settings import ChannelSettings, get_channel_settings
from safegrid.security.models import AuditEntry
from tests.fixtures.bills import Bills
from tests.fixtures.online import Online

NOTIFY = entry(wechat.WECHAT).path
MCHID = "1900000109"


@pytest.fixture(autouse=True)
def _nobody_applies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAFEGRID_PAY_INBOX_APPLIER", "none")
    get_channel_settings.cache_clear()
    yield
    get_channel_settings.cache_clear()


class WeChatSide:
    """The channel's side: its platform key signs callbacks; its order API checks our
    merchant signature (a stand-in for the channel's servers, as the sandbox gateway is)."""

    def __init__(self, keys_dir: Path) -> None:
        self.platform_key = keys.ensure_dev_keypair(keys_dir, keys.WECHAT_PLATFORM)
        self.merchant_public = keys.ensure_dev_keypair(keys_dir, keys.WECHAT_MERCHANT).public_key()
        self.api_v3_key = keys.api_v3_key("test", None)
        self.orders: dict[str, int] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        assert auth.startswith(wechat.SCHEME + " ")
        parts = dict(p.split("=", 1) for p in auth[len(wechat.SCHEME) + 1 :].split(","))
        fields = {k: v.strip('"') for k, v in parts.items()}
        message = (
            f"POST\n{request.url.path}\n{fields['timestamp']}\n{fields['nonce_str']}\n"
            f"{request.content.decode()}\n"
        )
        if not wechat.verify(self.merchant_public, message, fields["signature"]):
            return httpx.Response(401, json={"code": "SIGN_ERROR"})
        body = json.loads(request.content)
        self.orders[body["out_trade_no"]] = body["amount"]["total"]
        return httpx.Response(200, json={"code_url": f"weixin://wxpay/{body['out_trade_no']}"})

    def callback(
        self,
        order_no: str,
        *,
        total: int | None = None,
        trade_no: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        at: float | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        tx: dict[str, Any] = {
            "mchid": MCHID,
            "appid": "wxd678efh567hg6787",
            "out_trade_no": order_no,
            "transaction_id": trade_no or f"42000{secrets.randbelow(10**12):012d}",
            "trade_state": "SUCCESS",
            "amount": {
                "total": self.orders[order_no] if total is None else total,
                "currency": "CNY",
            },
        }
        body = json.dumps(
            {
                "id": secrets.token_hex(8),
                "event_type": "TRANSACTION.SUCCESS",
                "resource_type": "encrypt-resource",
                "resource": wechat.encrypt_resource(self.api_v3_key, tx),
            }
        ).encode()
        timestamp, nonce = str(int(at if at is not None else time.time())), secrets.token_hex(16)
        signature = wechat.sign(
            key or self.platform_key, wechat.callback_message(timestamp, nonce, body)
        )
        return body, {
            "Content-Type": "application/json",
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": "PLATFORM-DEV",
        }


@pytest.fixture
def side(online: Online, channel_keys: Path) -> Iterator[WeChatSide]:
    the_side = WeChatSide(channel_keys)
    adapter = wechat.WeChatPayChannel(
        ChannelSettings(keys_dir=channel_keys, wechat_mchid=MCHID),
        "test",
        client=httpx.Client(
            transport=httpx.MockTransport(the_side.handle), base_url="https://wechat.test"
        ),
    )
    set_channel(adapter, wechat.WECHAT)
    the_side.adapter = adapter  # type: ignore[attr-defined]
    try:
        yield the_side
    finally:
        set_channel(None, wechat.WECHAT)


def _order(online: Online, bills: Bills, side: WeChatSide, amount: str = "100.00") -> str:
    account_id = bills.account("stationA")
    bills.bill(account_id, "100.00")
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        number = uow.session.scalar(select(Account.number).where(Account.id == account_id))
    assert number
    placed = do_create_order(
        online.platform.uow(portal_actor(f"10.3.{account_id // 250}.{account_id % 250}")),
        account_no=number,
        amount=Decimal(amount),
        device_id=None,
        return_url="http://testserver/portal/pay/return",
        channel=side.adapter,  # type: ignore[attr-defined]
    )
    assert placed.pay_url.startswith("weixin://wxpay/")
    return placed.order_no


def _post(online: Online, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return online.client.post(NOTIFY, content=body, headers=headers)


def _count(online: Online, model: type, *where: object) -> int:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        q = select(func.count()).select_from(model)
        for w in where:
            q = q.where(w)  # type: ignore[arg-type]
        return int(uow.session.scalar(q) or 0)


def _refusals(online: Online) -> list[str]:
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry.body).where(AuditEntry.action == "payment.callback_rejected")
            ).all()
        )


def test_pay_6_pay_7_a_valid_wechat_callback_goes_through_the_inbox_once(
    online: Online, bills: Bills, side: WeChatSide
) -> None:
    order_no = _order(online, bills, side)
    body, headers = side.callback(order_no)
    resp = _post(online, body, headers)
    assert resp.status_code == 200 and resp.json()["code"] == "SUCCESS"
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        row = uow.session.scalars(select(CallbackInbox)).one()
        assert row.channel == wechat.WECHAT and row.state == InboxState.PENDING
        kept = json.loads(row.signed)  # the signed headers and body, as evidence
        assert kept["wechatpay-signature"] == headers["Wechatpay-Signature"]
    assert _count(online, Payment) == 0
    # A repeat inside the window (the channel did not hear us): same answer, one row.
    assert _post(online, body, headers).status_code == 200
    assert _count(online, CallbackInbox) == 1
    assert inbox_applier.drain(online.platform) == 1
    with online.platform.uow(online.world.system(), readonly=True) as uow:
        payment = uow.session.scalars(select(Payment)).one()
        assert payment.channel == PaymentChannel.ONLINE_WECHAT
        assert payment.amount == Decimal("100.00")
        order = uow.session.scalars(
            select(PaymentOrder).where(PaymentOrder.order_no == order_no)
        ).one()
        assert order.status == OrderStatus.PAID and order.channel == wechat.WECHAT
    # And after it is applied: still one payment.
    assert _post(online, body, headers).status_code == 200
    inbox_applier.drain(online.platform)
    assert _count(online, Payment) == 1


def test_pay_6_forged_wechat_callbacks_are_refused_and_recorded(
    online: Online, bills: Bills, side: WeChatSide
) -> None:
    order_no = _order(online, bills, side)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body, headers = side.callback(order_no, key=stranger)  # signed by someone else
    resp = _post(online, body, headers)
    assert resp.status_code == 401 and resp.json()["field"] == "Wechatpay-Signature"
    body, headers = side.callback(order_no)
    altered = body.replace(b'"id": "', b'"id": "X')  # the body changed after signing
    assert _post(online, altered, headers).status_code == 401
    unsigned = {k: v for k, v in headers.items() if k != "Wechatpay-Signature"}
    assert _post(online, body, unsigned).status_code == 400
    # Signed by the channel, but the amount differs from the order: refused at the door.
    body, headers = side.callback(order_no, total=1)
    resp = _post(online, body, headers)
    assert resp.status_code == 422 and resp.json()["field"] == "amount"
    assert len(_refusals(online)) == 4
    assert _count(online, CallbackInbox) == 0
    inbox_applier.drain(online.platform)
    assert _count(online, Payment) == 0


def test_pay_6_a_stale_wechat_callback_is_refused_as_a_replay(
    online: Online, bills: Bills, side: WeChatSide
) -> None:
    order_no = _order(online, bills, side)
    # A genuine callback captured and sent again ten minutes later.
    body, headers = side.callback(order_no, at=time.time() - 600)
    resp = _post(online, body, headers)
    assert resp.status_code == 401 and resp.json()["field"] == "Wechatpay-Timestamp"
    assert any("replayed" in r for r in _refusals(online))
    assert _count(online, CallbackInbox) == 0 and _count(online, Payment) == 0


def test_pay_6_a_second_trade_for_a_wechat_order_is_refused(
    online: Online, bills: Bills, side: WeChatSide
) -> None:
    order_no = _order(online, bills, side)
    first, h1 = side.callback(order_no, trade_no="4200000000000000000001")
    assert _post(online, first, h1).status_code == 200
    inbox_applier.drain(online.platform)
    second, h2 = side.callback(order_no, trade_no="4200000000000000000002")
    resp = _post(online, second, h2)
    assert resp.status_code == 409
    inbox_applier.drain(online.platform)
    assert _count(online, Payment) == 1
