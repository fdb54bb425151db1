"""The sealed batch an offline hall node sends (OPS-6): its entries as JSON, sealed with
the node's SM4 key in GCM mode — the DATA-7 terminal format with its own label. The
associated data binds the ciphertext to the node, the batch key and the send time, so a
batch cannot be forged, moved to another node, replayed under another key or re-dated
without failing the tag."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from safegrid.security import sm4

AAD_LABEL = "safegrid-offline-hall-v1"


def new_key() -> bytes:
    return secrets.token_bytes(sm4.KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def decode_key(text: str) -> bytes:
    key = base64.b64decode(text, validate=True)
    if len(key) != sm4.KEY_BYTES:
        raise sm4.MalformedCiphertextError("not an offline node key")
    return key


def _aad(node: str, batch_key: str, sent_at: str) -> bytes:
    return f"{AAD_LABEL}|{node}|{batch_key}|{sent_at}".encode()


def seal(key: bytes, node: str, batch_key: str, sent_at: str, entries: list[dict[str, Any]]) -> str:
    plaintext = json.dumps({"entries": entries}, ensure_ascii=False, default=str).encode()
    return base64.b64encode(sm4.seal(key, plaintext, _aad(node, batch_key, sent_at))).decode()


def open_batch(key: bytes, node: str, batch_key: str, sent_at: str, sealed: str) -> bytes:
    """The plaintext, or a :class:`~safegrid.security.sm4.CryptoError` (never partial)."""
    try:
        blob = base64.b64decode(sealed, validate=True)
    except ValueError:
        raise sm4.MalformedCiphertextError("sealed batch is not valid base64") from None
    return sm4.open_sealed(key, blob, _aad(node, batch_key, sent_at))


def seal_json(key: bytes, node: str, label: str, sent_at: str, value: Any) -> str:
    """Any JSON value under the node's key, bound to node, label and time (the snapshot a
    node asks for; the request that proves the node holds its key)."""
    plaintext = json.dumps(value, ensure_ascii=False).encode()
    return base64.b64encode(sm4.seal(key, plaintext, _aad(node, label, sent_at))).decode()


def open_json(key: bytes, node: str, label: str, sent_at: str, sealed: str) -> Any:
    return json.loads(open_batch(key, node, label, sent_at, sealed))
