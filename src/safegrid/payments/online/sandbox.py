"""The sandbox channel (PAY-6): SafeGrid's side of the development gateway
(``safegrid-sandbox gateway``, :mod:`safegrid_sandbox.gateway`), Alipay-style: order
requests and callbacks are urlencoded forms signed RSA2 (SHA256withRSA) over the sorted
``k=v&k=v`` string (:mod:`.signing`), answered by the text ``success``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cached_property
from urllib.parse import parse_qsl

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from safegrid.payments.online import keys, signing
from safegrid.payments.online.channels import (
    ACK,
    MAX_BODY,
    MAX_FIELDS,
    URLENCODED,
    CallbackRejected,
    CallbackRequest,
    ChannelOrder,
    ChannelUnavailableError,
    VerifiedCallback,
)
from safegrid.payments.online.settings import ChannelSettings
from safegrid.platform.errors import ValidationProblem

SANDBOX = "sandbox"


def parse_form(body: bytes) -> dict[str, str]:
    """An urlencoded callback body (the general form parser costs more than the signature
    check); too large or malformed → 422 naming the body."""
    if len(body) > MAX_BODY:
        raise ValidationProblem("回调过大 / the callback is too large", field="body")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ValidationProblem(
            "回调格式无效 / the callback is not a valid form", field="body"
        ) from None
    return dict(pairs)


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
        signed=dict(params),
    )


class SandboxChannel:
    """The sandbox gateway (``safegrid-sandbox gateway``) over HTTP, RSA2 both ways."""

    name = SANDBOX
    ack_content_type = "text/plain; charset=utf-8"
    ack_body = ACK.encode()

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

    def accepts(self, content_type: str) -> bool:
        return content_type.startswith(URLENCODED)

    def read_callback(self, request: CallbackRequest) -> VerifiedCallback:
        return self.verify_callback(parse_form(request.body))

    def verify_callback(self, params: Mapping[str, str]) -> VerifiedCallback:
        """The signed form's RSA2 signature checked and its fields read."""
        claimed = params.get("merchant_order_no") or None
        if not params.get("sign"):
            raise CallbackRejected(
                400,
                "unsigned",
                "回调未签名 / the callback is unsigned",
                field="sign",
                order_no=claimed,
            )
        if not signing.verify(params, self.gateway_public):
            raise CallbackRejected(
                401,
                "bad_signature",
                "回调签名无效 / the callback signature is invalid",
                field="sign",
                order_no=claimed,
            )
        found = parse_callback(params)
        if found.merchant_id != self.settings.merchant_id:
            raise CallbackRejected(
                422,
                "bad_field",
                "商户号不符 / merchant_id is not ours",
                field="merchant_id",
                order_no=claimed,
            )
        return found
