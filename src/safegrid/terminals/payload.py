"""The sealed upload format shared by the server and the terminal client (DATA-7).

A batch of readings is JSON ``{"readings": [...]}`` sealed with the terminal's SM4 upload
key in GCM mode. The associated data binds the ciphertext to the terminal, the batch id
and the send time, so a sealed batch cannot be replayed under another batch id, moved to
another terminal or re-dated without failing the tag.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from safegrid.security import sm4

AAD_LABEL = "safegrid-terminal-upload-v1"


def aad(terminal_code: str, batch_id: str, sent_at: str) -> bytes:
    return f"{AAD_LABEL}|{terminal_code}|{batch_id}|{sent_at}".encode()


def timestamp(at: datetime) -> str:
    """The canonical send time the terminal writes and the AAD covers."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seal_batch(
    key: bytes, terminal_code: str, batch_id: str, sent_at: str, readings: list[dict[str, Any]]
) -> str:
    plaintext = json.dumps({"readings": readings}, ensure_ascii=False, default=str).encode()
    return base64.b64encode(
        sm4.seal(key, plaintext, aad(terminal_code, batch_id, sent_at))
    ).decode()


def open_batch(key: bytes, terminal_code: str, batch_id: str, sent_at: str, sealed: str) -> bytes:
    """The plaintext, or a :class:`~safegrid.security.sm4.CryptoError` (never partial)."""
    try:
        blob = base64.b64decode(sealed, validate=True)
    except ValueError:
        raise sm4.MalformedCiphertextError("sealed payload is not valid base64") from None
    return sm4.open_sealed(key, blob, aad(terminal_code, batch_id, sent_at))
