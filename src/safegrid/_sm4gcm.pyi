# Types of the optional C extension built from _sm4gcm.c (ADR 0008).
from collections.abc import Sequence

def seal_many(
    key: bytes, nonces: bytes, plaintexts: Sequence[bytes | str], aads: bytes | Sequence[bytes]
) -> list[bytes]: ...
def seal_tokens(
    key: bytes,
    nonces: bytes,
    plaintexts: Sequence[bytes | str],
    aads: bytes | Sequence[bytes],
    head: str,
) -> list[str]: ...
def open_many(
    key: bytes, blobs: Sequence[bytes], aads: bytes | Sequence[bytes]
) -> list[bytes | None]: ...
def ecb_block(key: bytes, block: bytes, rounds: int = 1, decrypt: bool = False) -> bytes: ...
