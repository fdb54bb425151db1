"""A WeChat-Pay-style channel (微信支付 APIv3 conventions), PAY-6: the second adapter behind
:class:`~safegrid.payments.online.channels.PaymentChannelAdapter`, to show that a channel is
one module plus a registry entry (:mod:`safegrid.payments.online.registry`).

Signatures (RSA-SHA256 = SHA256withRSA, PKCS#1 v1.5, as WeChat Pay v3):

* our requests carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
  timestamp="…",serial_no="…",signature="…"``, the signature over
  ``METHOD\\nPATH\\ntimestamp\\nnonce\\nbody\\n`` with the merchant key;
* the channel's callbacks carry ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``,
  ``Wechatpay-Signature`` (base64) and ``Wechatpay-Serial`` headers, the signature over
  ``timestamp\\nnonce\\nbody\\n`` with the platform key. A callback whose timestamp is more
  than ``wechat_max_age_seconds`` away from our clock is refused as a replay (a captured
  callback sent again later); a repeat inside that window is answered like any repeat
  (recorded once, by trade number).

The callback body is JSON; its ``resource`` is the transaction, encrypted with the APIv3
key (AEAD_AES_256_GCM, ``associated_data`` and ``nonce`` beside the ciphertext), so the
signature proves who sent it and the encryption keeps the payer's details off the wire.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safegrid.payments.online import keys
from safegrid.payments.online.channels import (
    TRADE_SUCCESS,
    CallbackRejected,
    CallbackRequest,
    ChannelOrder,
    ChannelUnavailableError,
    VerifiedCallback,
)
from safegrid.payments.online.settings import ChannelSettings

WECHAT = "wechat"
SCHEME = "WECHATPAY2-SHA256-RSA2048"
ORDER_PATH = "/v3/pay/transactions/native"
HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")
JSON = "application/json"


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(
        key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


def verify(public: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public.verify(
            base64.b64decode(signature, validate=True),
            message.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def callback_message(timestamp: str, nonce: str, body: bytes) -> str:
    return f"{timestamp}\n{nonce}\n{body.decode()}\n"


def encrypt_resource(api_v3_key: bytes, transaction: Mapping[str, Any]) -> dict[str, str]:
    """The ``resource`` of a callback as the channel sends it (the channel's side; tests)."""
    nonce = secrets.token_hex(6)
    associated = "transaction"
    sealed = AESGCM(api_v3_key).encrypt(
        nonce.encode(), json.dumps(transaction).encode(), associated.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "nonce": nonce,
        "associated_data": associated,
    }


def _refused(status: int, reason: str, message: str, field: str) -> CallbackRejected:
    return CallbackRejected(status, reason, message, field=field)


class WeChatPayChannel:
    """WeChat-Pay-style channel: orders over its v3 JSON API, callbacks signed in headers."""

    name = WECHAT
    ack_content_type = JSON
    ack_body = b'{"code":"SUCCESS","message":"\\u6210\\u529f"}'

    def __init__(
        self, settings: ChannelSettings, env: str, *, client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.env = env
        self._client = client

    @cached_property
    def merchant_key(self) -> rsa.RSAPrivateKey:
        s = self.settings
        return keys.private_key(
            self.env, s.wechat_merchant_key_file, s.keys_dir, keys.WECHAT_MERCHANT
        )

    @cached_property
    def platform_public(self) -> rsa.RSAPublicKey:
        s = self.settings
        return keys.public_key(
            self.env, s.wechat_platform_public_key_file, s.keys_dir, keys.WECHAT_PLATFORM
        )

    @cached_property
    def api_v3_key(self) -> bytes:
        return keys.api_v3_key(self.env, self.settings.wechat_api_v3_key)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.settings.wechat_api_url, timeout=self.settings.timeout_seconds
            )
        return self._client

    def accepts(self, content_type: str) -> bool:
        return content_type.startswith(JSON)

    def create_order(
        self, *, order_no: str, amount: Decimal, subject: str, return_url: str
    ) -> ChannelOrder:
        s = self.settings
        body = json.dumps(
            {
                "appid": s.wechat_appid,
                "mchid": s.wechat_mchid,
                "description": subject[:127],
                "out_trade_no": order_no,
                "notify_url": s.wechat_notify_url,
                "amount": {"total": int(amount.scaleb(2)), "currency": "CNY"},
            },
            ensure_ascii=False,
        )
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        signature = sign(self.merchant_key, f"POST\n{ORDER_PATH}\n{timestamp}\n{nonce}\n{body}\n")
        authorization = (
            f'{SCHEME} mchid="{s.wechat_mchid}",nonce_str="{nonce}",timestamp="{timestamp}",'
            f'serial_no="{s.wechat_merchant_serial}",signature="{signature}"'
        )
        try:
            resp = self.client.post(
                ORDER_PATH,
                content=body.encode(),
                headers={"Authorization": authorization, "Content-Type": JSON, "Accept": JSON},
            )
        except httpx.HTTPError as exc:
            raise ChannelUnavailableError(
                f"支付渠道暂不可用 / the payment channel is unavailable ({type(exc).__name__})"
            ) from None
        if resp.status_code != 200 or "code_url" not in resp.json():
            raise ChannelUnavailableError(
                f"支付渠道拒绝了订单 / the channel refused the order (HTTP {resp.status_code})"
            )
        return ChannelOrder(order_no=order_no, pay_url=str(resp.json()["code_url"]))

    def read_callback(self, request: CallbackRequest) -> VerifiedCallback:
        h = request.headers
        if not all(h.get(k) for k in HEADERS):
            raise _refused(
                400, "unsigned", "回调未签名 / the callback is unsigned", "Wechatpay-Signature"
            )
        timestamp = h["wechatpay-timestamp"]
        if (
            not timestamp.isdigit()
            or abs(time.time() - int(timestamp)) > self.settings.wechat_max_age_seconds
        ):
            raise _refused(
                401,
                "replayed",
                "回调时间戳过期，疑似重放 / the callback's timestamp is stale (a replay?)",
                "Wechatpay-Timestamp",
            )
        if (
            self.settings.wechat_platform_serial
            and h["wechatpay-serial"] != self.settings.wechat_platform_serial
        ):
            raise _refused(
                401,
                "bad_signature",
                "平台证书序列号不符 / unknown platform certificate",
                "Wechatpay-Serial",
            )
        message = callback_message(timestamp, h["wechatpay-nonce"], request.body)
        if not verify(self.platform_public, message, h["wechatpay-signature"]):
            raise _refused(
                401,
                "bad_signature",
                "回调签名无效 / the callback signature is invalid",
                "Wechatpay-Signature",
            )
        return self._transaction(request)

    def _transaction(self, request: CallbackRequest) -> VerifiedCallback:
        try:
            envelope = json.loads(request.body)
            resource = envelope["resource"]
            plain = AESGCM(self.api_v3_key).decrypt(
                str(resource["nonce"]).encode(),
                base64.b64decode(str(resource["ciphertext"])),
                str(resource.get("associated_data", "")).encode(),
            )
            tx = json.loads(plain)
            total = tx["amount"]["total"]
            fields = (tx["mchid"], tx["out_trade_no"], tx["transaction_id"], tx["trade_state"])
        except (ValueError, KeyError, TypeError, InvalidTag, binascii.Error):
            raise _refused(
                422, "bad_field", "回调内容无效 / the callback resource is invalid", "resource"
            ) from None
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            raise _refused(422, "bad_field", "回调金额无效 / amount is invalid", "amount")
        if not all(isinstance(f, str) and 0 < len(f) <= 64 for f in fields):
            raise _refused(422, "bad_field", "回调缺少字段 / a field is missing", "resource")
        mchid, order_no, trade_no, state = fields
        if mchid != self.settings.wechat_mchid:
            raise _refused(422, "bad_field", "商户号不符 / mchid is not ours", "mchid")
        return VerifiedCallback(
            merchant_id=mchid,
            order_no=order_no,
            trade_no=trade_no,
            amount=Decimal(total).scaleb(-2),
            trade_status=TRADE_SUCCESS if state == "SUCCESS" else state,
            # What the inbox keeps to prove the payment: the signed headers and body.
            signed={
                **{k: request.headers.get(k, "") for k in HEADERS},
                "body": request.body.decode(errors="replace"),
            },
        )
