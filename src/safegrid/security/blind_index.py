"""Keyed blind index (DATA-2): exact-match search on an encrypted field without decrypting.

HMAC-SM3 over the normalised value, with a key derived from the master key (HKDF-SM3) and
separate per field, so equal ID numbers match while the index reveals nothing without the
key, and the same person's phone and ID number do not share an index value. The index key
does not rotate with the data keys, so rotation never needs a re-index.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INDEX_HEX_CHARS = 32  # 128 bits: collisions are negligible at utility scale


def derive_index_key(master: bytes, field: str) -> bytes:
    return HKDF(
        algorithm=hashes.SM3(),
        length=32,
        salt=b"safegrid blind index v1",
        info=field.encode(),
    ).derive(master)


def normalise(value: str) -> str:
    return "".join(value.split()).upper()


def blind_index(index_key: bytes, value: str) -> str:
    mac = hmac.HMAC(index_key, hashes.SM3())
    mac.update(normalise(value).encode())
    return mac.finalize().hex()[:INDEX_HEX_CHARS]
