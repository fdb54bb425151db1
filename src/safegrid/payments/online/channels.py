"""Online payment channels behind one adapter interface (PAY-6).

A channel does two things for SafeGrid: create an order the customer then pays on the
channel's own page, and prove that a callback about a payment really comes from the
channel (asymmetric signature). Amount and order checks against our own records are the
service's job (:mod:`safegrid.payments.online.callbacks.verification`), the same for every channel.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from safegrid.config import get_settings
from safegrid.payments.online import keys, signing
from safegrid.payments.online.settings import ChannelSettings, get_channel_settings
from safegrid.platform.errors import SafeGridError

SANDBOX = "sandbox"
# What SafeGrid answers a callback it has recorded (first time and repeats).
ACK = "success"
TRADE_SUCCESS = "TRADE_SUCCESS"


class ChannelUnavailableError(SafeGridError):
    status_code = 502


class CallbackRejected(SafeGridError):
    """A callback SafeGrid refuses; ``reason`` is a stable code for logs and alerts."""

    def __init__(self, status: int, reason: str, message: str, *, field: str) -> None:
        super().__init__(message, field=field)
        self.status_code = status
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class ChannelOrder:
    order_no: str
    pay_url: str


@dataclasses.dataclass(frozen=True)
class VerifiedCallback:
    """A callback whose signature checked out; its content is still to be compared."""

    merchant_id: str
    order_no: str
    trade_no: str
    amount: Decimal
    trade_status: str


class PaymentChannelAdapter(Protocol):
    name: str

    def create_order(
        self, *, order_no: str, amount: Decimal, subject: str, return_url: str
    ) -> ChannelOrder: ...

    def verify_callback(self, params: Mapping[str, str]) -> VerifiedCallback: ...


def _required(params: Mapping[str, str], field: str) -> str:
    value = params.get(field, "")
    if not value or len(value) > 64:
        raise CallbackRejected(
            422, "bad_field", f"回调缺少 {field} / {field} is missing", field=field
        )
    return value


def parse_callback(params: Mapping[str, str]) -> VerifiedCallback:
    raw = _required(params, "amount")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise CallbackRejected(422, "bad_field", "回调金额无效 / amount is invalid", field="amount")
    return VerifiedCallback(
        merchant_id=_required(params, "merchant_id"),
        order_no=_required(params, "merchant_order_no"),
        trade_no=_required(params, "trade_no"),
        amount=amount,
        trade_status=_required(params, "trade_status"),
    )


class SandboxChannel:
    """The sandbox gateway (``safegrid-sandbox gateway``) over HTTP, RSA2 both ways."""

    name = SANDBOX

    def __init__(
        self,
        settings: ChannelSettings,
        env: str,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.env = env
        self._client = client

    @cached_property
    def merchant_key(self) -> rsa.RSAPrivateKey:
        s = self.settings
        return keys.private_key(self.env, s.merchant_key_file, s.keys_dir, keys.MERCHANT)

    @cached_property
    def gateway_public(self) -> rsa.RSAPublicKey:
        s = self.settings
        return keys.public_key(self.env, s.gateway_public_key_file, s.keys_dir, keys.GATEWAY)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.settings.gateway_url, timeout=self.settings.timeout_seconds
            )
        return self._client

    def create_order(
        self, *, order_no: str, amount: Decimal, subject: str, return_url: str
    ) -> ChannelOrder:
        form = signing.signed(
            {
                "merchant_id": self.settings.merchant_id,
                "merchant_order_no": order_no,
                "amount": f"{amount:.2f}",
                "subject": subject,
                "return_url": return_url,
                "timestamp": str(int(time.time())),
            },
            self.merchant_key,
        )
        try:
            resp = self.client.post("/gateway/orders", data=form)
        except httpx.HTTPError as exc:
            raise ChannelUnavailableError(
                f"支付渠道暂不可用 / the payment channel is unavailable ({type(exc).__name__})"
            ) from None
        if resp.status_code != 200:
            raise ChannelUnavailableError(
                f"支付渠道拒绝了订单 / the channel refused the order (HTTP {resp.status_code})"
            )
        body = resp.json()
        return ChannelOrder(order_no=str(body["merchant_order_no"]), pay_url=str(body["pay_url"]))

    def verify_callback(self, params: Mapping[str, str]) -> VerifiedCallback:
        if not params.get("sign"):
            raise CallbackRejected(
                400, "unsigned", "回调未签名 / the callback is unsigned", field="sign"
            )
        if not signing.verify(params, self.gateway_public):
            raise CallbackRejected(
                401,
                "bad_signature",
                "回调签名无效 / the callback signature is invalid",
                field="sign",
            )
        found = parse_callback(params)
        if found.merchant_id != self.settings.merchant_id:
            raise CallbackRejected(
                422, "bad_field", "商户号不符 / merchant_id is not ours", field="merchant_id"
            )
        return found


_channels: dict[str, PaymentChannelAdapter] = {}


def get_channel(name: str = SANDBOX) -> PaymentChannelAdapter:
    if name != SANDBOX:
        raise ValueError(f"unknown payment channel {name!r}")
    if name not in _channels:
        _channels[name] = SandboxChannel(get_channel_settings(), get_settings().env)
    return _channels[name]


def set_channel(channel: PaymentChannelAdapter | None, name: str = SANDBOX) -> None:
    """Tests (and one process serving one gateway) choose the adapter in use."""
    if channel is None:
        _channels.pop(name, None)
    else:
        _channels[name] = channel


def paid_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
