"""SM4-GCM field encryption under versioned data keys (DATA-2), via OpenSSL (`cryptography`).

A stored value is ``sm4gcm$<version>$<base64(nonce ‖ ciphertext ‖ tag)>``. The version
names the data key, so old versions keep decrypting while a rotation re-encrypts rows.
The associated data is the field's name (e.g. ``customers.id_number``): a ciphertext
copied into another column fails authentication instead of decrypting there.
Data keys are themselves stored wrapped (SM4-GCM) by a master key that never enters the
database.

Every byte of cryptography is OpenSSL's (ADR 0014). The batch functions are the
implementation and a single value is a batch of one: a batch draws all its nonces from
the OS in one call and builds the SM4 key object once; what remains per value is one
OpenSSL GCM context, because `cryptography` offers no reusable SM4 AEAD context. Bulk work
gets more throughput from processes (``reencryption``), not from our own cipher code.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

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


def _sm4(key: bytes) -> algorithms.SM4:
    if len(key) != KEY_BYTES:
        raise CryptoError("SM4 keys are 16 bytes")
    return algorithms.SM4(key)


def seal_many(
    key: bytes, plaintexts: Sequence[bytes], aad: bytes, nonces: bytes | None = None
) -> list[bytes]:
    """``nonce ‖ ciphertext ‖ tag`` for each plaintext, all under one key and one AAD.

    ``nonces`` (12 bytes per value, concatenated) exists for known-answer tests; without
    it every value gets a fresh random nonce."""
    sm4 = _sm4(key)
    count = len(plaintexts)
    if nonces is None:
        nonces = os.urandom(NONCE_BYTES * count)
    elif len(nonces) != NONCE_BYTES * count:
        raise CryptoError(f"{count} values need {NONCE_BYTES * count} bytes of nonces")
    gcm = modes.GCM
    out: list[bytes] = []
    append = out.append
    for i, plaintext in enumerate(plaintexts):
        nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
        enc = Cipher(sm4, gcm(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext) + enc.finalize()
        append(nonce + body + enc.tag)
    return out


def open_many(key: bytes, blobs: Sequence[bytes], aad: bytes) -> list[bytes]:
    """The plaintexts of ``seal_many``'s output; the first value that fails authentication
    raises (nothing is returned half-checked)."""
    sm4 = _sm4(key)
    gcm = modes.GCM
    out: list[bytes] = []
    append = out.append
    for blob in blobs:
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise MalformedCiphertextError("ciphertext is too short")
        dec = Cipher(sm4, gcm(blob[:NONCE_BYTES])).decryptor()
        dec.authenticate_additional_data(aad)
        body = dec.update(blob[NONCE_BYTES:-TAG_BYTES])
        try:
            append(body + dec.finalize_with_tag(blob[-TAG_BYTES:]))
        except InvalidTag:
            raise TamperedCiphertextError("ciphertext failed authentication (GCM tag)") from None
    return out


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce ‖ ciphertext ‖ tag."""
    return seal_many(key, [plaintext], aad)[0]


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return open_many(key, [blob], aad)[0]


def wrap_key(master: bytes, data_key: bytes, version: int) -> bytes:
    return seal(master, data_key, f"safegrid data key v{version}".encode())


def unwrap_key(master: bytes, wrapped: bytes, version: int) -> bytes:
    return open_sealed(master, wrapped, f"safegrid data key v{version}".encode())


class FieldCipher:
    """Encrypts with the active data key; decrypts with whichever version a value names.

    Picklable (keys and the active version only), so a worker process of a bulk
    re-encryption gets the same cipher its parent holds."""

    def __init__(self, keys: Mapping[int, bytes], active: int) -> None:
        if active not in keys:
            raise UnknownKeyVersionError(f"active key version {active} is not loaded")
        self._keys = dict(keys)
        self.active = active

    @property
    def versions(self) -> frozenset[int]:
        return frozenset(self._keys)

    def head(self) -> str:
        """The stored form's beginning for values under the active key."""
        return f"{PREFIX}${self.active}$"

    def encrypt_many(self, plaintexts: Sequence[str], field: str) -> list[str]:
        head = self.head()
        blobs = seal_many(
            self._keys[self.active], [text.encode() for text in plaintexts], field.encode()
        )
        b64 = base64.b64encode
        return [head + b64(blob).decode() for blob in blobs]

    def encrypt(self, plaintext: str, field: str) -> str:
        return self.encrypt_many([plaintext], field)[0]

    def decrypt_many(self, tokens: Sequence[str], field: str) -> list[str]:
        """Values of any loaded versions, in order; one key schedule per version present."""
        aad = field.encode()
        blobs: dict[int, list[bytes]] = {}
        order: list[tuple[int, int]] = []  # (version, position among that version's values)
        for token in tokens:
            version, blob = self.parse(token)
            same = blobs.setdefault(version, [])
            order.append((version, len(same)))
            same.append(blob)
        for version in blobs.keys() - self._keys.keys():
            raise UnknownKeyVersionError(f"no data key of version {version}")
        plain = {
            version: open_many(self._keys[version], group, aad) for version, group in blobs.items()
        }
        return [plain[version][i].decode() for version, i in order]

    def decrypt(self, token: str, field: str) -> str:
        return self.decrypt_many([token], field)[0]

    @staticmethod
    def parse(token: str) -> tuple[int, bytes]:
        version = FieldCipher.version_of(token)
        try:
            return version, base64.b64decode(token.split("$", 2)[2], validate=True)
        except (ValueError, binascii.Error):
            raise MalformedCiphertextError("ciphertext is not valid base64") from None

    @staticmethod
    def version_of(token: str) -> int:
        """The key version a stored value names (without decoding the rest of it)."""
        parts = token.split("$", 2)
        if (
            len(parts) != 3
            or parts[0] != PREFIX
            or not (parts[1].isascii() and parts[1].isdigit())
            or "$" in parts[2]
        ):
            raise MalformedCiphertextError("not an SM4-GCM field value")
        return int(parts[1])
