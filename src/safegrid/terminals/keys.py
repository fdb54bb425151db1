"""Terminal credentials and upload keys (DATA-7).

- The secret is 256 random bits; like API tokens (``security.authn``) only its SHA-256 is
  stored, compared in constant time.
- The upload key is a 128-bit SM4 key the terminal seals its batches with. The server needs
  it back to open them, so its column is declared an encrypted secret (DATA-2): the mapping
  layer stores it under the platform key ring like every other sensitive value, and
  ``safegrid keys rotate`` re-encrypts it with them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from safegrid.security import sm4


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), digest)


def new_upload_key() -> bytes:
    return secrets.token_bytes(sm4.KEY_BYTES)


def encode(upload_key: bytes) -> str:
    """The column's plaintext form (the column type encrypts it)."""
    return base64.b64encode(upload_key).decode()


def decode(stored: str) -> bytes:
    key = base64.b64decode(stored, validate=True)
    if len(key) != sm4.KEY_BYTES:
        raise sm4.MalformedCiphertextError("not a terminal upload key")
    return key
