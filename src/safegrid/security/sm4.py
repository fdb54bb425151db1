"""SM4-GCM field encryption under versioned data keys (DATA-2), via OpenSSL (`cryptography`).

A stored value is ``sm4gcm$<version>$<base64(nonce ‖ ciphertext ‖ tag)>``. The version
names the data key, so old versions keep decrypting while a rotation re-encrypts rows.
The associated data is the field's name (e.g. ``customers.id_number``): a ciphertext
copied into another column fails authentication instead of decrypting there.
Data keys are themselves stored wrapped (SM4-GCM) by a master key that never enters the
database.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # the optional C extension for bulk sealing (ADR 0008); absent without a compiler
    from safegrid import _sm4gcm
except ImportError:  # pragma: no cover - depends on the build machine
    _sm4gcm = None  # type: ignore[assignment]

NATIVE_BULK = _sm4gcm is not None  # FieldCipher.encrypt_many uses the C extension

PREFIX = "sm4gcm"
KEY_BYTES = 16  # SM4 is a 128-bit block cipher with 128-bit keys
NONCE_BYTES = 12
TAG_BYTES = 16


class CryptoError(Exception):
    """Base class; messages never contain plaintext or key material."""


class UnknownKeyVersionError(CryptoError):
    pass


class TamperedCiphertextError(CryptoError):
    pass


class MalformedCiphertextError(CryptoError):
    pass


def seal(key: bytes, plaintext: bytes, aad: bytes, nonce: bytes | None = None) -> bytes:
    """nonce ‖ ciphertext ‖ tag."""
    if len(key) != KEY_BYTES:
        raise CryptoError("SM4 keys are 16 bytes")
    nonce = nonce or os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(plaintext) + enc.finalize()
    return nonce + body + enc.tag


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise MalformedCiphertextError("ciphertext is too short")
    nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    try:
        return dec.update(body) + dec.finalize()
    except InvalidTag:
        raise TamperedCiphertextError("ciphertext failed authentication (GCM tag)") from None


def wrap_key(master: bytes, data_key: bytes, version: int) -> bytes:
    return seal(master, data_key, f"safegrid data key v{version}".encode())


def unwrap_key(master: bytes, wrapped: bytes, version: int) -> bytes:
    return open_sealed(master, wrapped, f"safegrid data key v{version}".encode())


class FieldCipher:
    """Encrypts with the active data key; decrypts with whichever version a value names."""

    def __init__(self, keys: Mapping[int, bytes], active: int) -> None:
        if active not in keys:
            raise UnknownKeyVersionError(f"active key version {active} is not loaded")
        self._keys = dict(keys)
        self.active = active

    @property
    def versions(self) -> frozenset[int]:
        return frozenset(self._keys)

    def encrypt(self, plaintext: str, field: str) -> str:
        blob = seal(self._keys[self.active], plaintext.encode(), field.encode())
        return f"{PREFIX}${self.active}${base64.b64encode(blob).decode()}"

    def encrypt_many(
        self, plaintexts: Sequence[str], field: str, *, native: bool = True
    ) -> list[str]:
        """``[encrypt(v, field) for v in plaintexts]``, for bulk work (re-encryption, bulk
        inserts): one random draw for all nonces, then one call into the ``_sm4gcm`` C
        extension when it is built (~10x faster), else the per-value OpenSSL path. Both
        give the same format; decryption is always OpenSSL's. ``native=False`` forces the
        OpenSSL path (benchmark, tests)."""
        head = f"{PREFIX}${self.active}$"
        nonces = os.urandom(NONCE_BYTES * len(plaintexts))
        if native and _sm4gcm is not None:
            return _sm4gcm.seal_tokens(
                self._keys[self.active], nonces, plaintexts, field.encode(), head
            )
        return self._encrypt_many_openssl(plaintexts, field.encode(), head, nonces)

    def _encrypt_many_openssl(
        self, plaintexts: Sequence[str], aad: bytes, head: str, nonces: bytes
    ) -> list[str]:
        # `cryptography` has no reusable SM4 AEAD context: one Cipher object per value.
        key = algorithms.SM4(self._keys[self.active])
        b64 = base64.b64encode
        out: list[str] = []
        append = out.append
        for i, text in enumerate(plaintexts):
            nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
            enc = Cipher(key, modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(aad)
            body = enc.update(text.encode()) + enc.finalize()
            append(head + b64(nonce + body + enc.tag).decode())
        return out

    def decrypt(self, token: str, field: str) -> str:
        version, blob = self.parse(token)
        key = self._keys.get(version)
        if key is None:
            raise UnknownKeyVersionError(f"no data key of version {version}")
        return open_sealed(key, blob, field.encode()).decode()

    @staticmethod
    def parse(token: str) -> tuple[int, bytes]:
        parts = token.split("$")
        if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isdigit():
            raise MalformedCiphertextError("not an SM4-GCM field value")
        try:
            return int(parts[1]), base64.b64decode(parts[2], validate=True)
        except ValueError:
            raise MalformedCiphertextError("ciphertext is not valid base64") from None

    @staticmethod
    def version_of(token: str) -> int:
        return FieldCipher.parse(token)[0]
