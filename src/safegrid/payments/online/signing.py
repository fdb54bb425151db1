"""RSA2 signatures (SHA256withRSA, PKCS#1 v1.5) over the channel's canonical string.

The canonical string is what Alipay and most Chinese channels sign: every parameter but
``sign`` and ``sign_type`` whose value is not empty, sorted by name, joined ``k=v&k=v``.
Used both ways: SafeGrid signs its order requests, the gateway signs its callbacks.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGN_TYPE = "RSA2"
UNSIGNED = frozenset({"sign", "sign_type"})


def canonical(params: Mapping[str, str]) -> bytes:
    items = sorted((k, v) for k, v in params.items() if k not in UNSIGNED and v != "")
    return "&".join(f"{k}={v}" for k, v in items).encode()


def sign(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    raw = key.sign(canonical(params), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def signed(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The parameters plus ``sign_type`` and ``sign``, ready to send."""
    out = {k: v for k, v in params.items() if k not in UNSIGNED}
    out["sign_type"] = SIGN_TYPE
    out["sign"] = sign(out, key)
    return out


def verify(params: Mapping[str, str], key: rsa.RSAPublicKey) -> bool:
    """True only for an RSA2 signature by ``key`` over exactly these parameters."""
    if params.get("sign_type") != SIGN_TYPE:
        return False
    try:
        raw = base64.b64decode(params.get("sign", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not raw:
        return False
    try:
        key.verify(raw, canonical(params), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
