"""Terminal credentials and upload keys (DATA-7).

- The secret is 256 random bits; like API tokens (``security.authn``) only its SHA-256 is
  stored, compared in constant time.
- The upload key is a 128-bit SM4 key the terminal seals its batches with. The server needs
  it back to open them, so it is stored encrypted: by the platform key ring (DATA-2,
  ``security.keyring``: a versioned data key, itself wrapped by the master key that never
  enters the database) as ``sm4gcm$<version>$...``. Where no key ring is configured (a
  process that did not build the platform's ring), it is wrapped with ``sm4.wrap_key``
  under a key derived from ``SAFEGRID_SECRET_KEY`` by HMAC-SM3, stored as
  ``tkw$0$<base64>``. Both forms name how to open them, so either stays readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from safegrid.bootstrap import get_platform
from safegrid.security import keyring, sm4

FIELD = "field_terminals.upload_key"  # the key ring's associated data for this value
WRAP_PREFIX = "tkw"
DERIVED_VERSION = 0
_DERIVATION_LABEL = b"safegrid terminal upload keys v0"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), digest)


def new_upload_key() -> bytes:
    return secrets.token_bytes(sm4.KEY_BYTES)


def _derived_master() -> bytes:
    secret_key = get_platform().settings.secret_key.encode()
    return hmac.new(secret_key, _DERIVATION_LABEL, "sm3").digest()[: sm4.KEY_BYTES]


def _ring() -> keyring.KeyRing | None:
    try:
        return keyring.current()
    except RuntimeError:
        return None


def wrap(upload_key: bytes) -> str:
    ring = _ring()
    if ring is not None:
        return ring.encrypt(base64.b64encode(upload_key).decode(), FIELD)
    blob = sm4.wrap_key(_derived_master(), upload_key, DERIVED_VERSION)
    return f"{WRAP_PREFIX}${DERIVED_VERSION}${base64.b64encode(blob).decode()}"


def unwrap(stored: str) -> bytes:
    if stored.startswith(sm4.PREFIX + "$"):
        ring = _ring()
        if ring is None:
            raise sm4.UnknownKeyVersionError("the key ring is not configured in this process")
        return base64.b64decode(ring.decrypt(stored, FIELD))
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] != WRAP_PREFIX or not parts[1].isdigit():
        raise sm4.MalformedCiphertextError("not a wrapped terminal key")
    version = int(parts[1])
    if version != DERIVED_VERSION:
        raise sm4.UnknownKeyVersionError(f"no wrapping key of version {version}")
    return sm4.unwrap_key(_derived_master(), base64.b64decode(parts[2]), version)
