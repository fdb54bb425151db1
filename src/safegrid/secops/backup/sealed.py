"""Backup files encrypted at rest: zlib-compressed, then AES-256-GCM through
``cryptography`` (OpenSSL) as one stream — a 5-byte magic, the 12-byte nonce, the
ciphertext, the 16-byte tag. The header is authenticated as associated data. The key is
derived from the master key with HKDF (the master key never sits in the database, and a
backup is useless without it, like the data keys it contains).

Opening writes the plaintext to ``<target>.partial`` and renames it only after the tag
checked, so a corrupted or forged file never yields a restorable copy.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC: Final = b"SGBK1"
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
CHUNK: Final = 1 << 20


class BackupCheckError(RuntimeError):
    """A backup file that fails its check: wrong key, truncated, altered."""


def backup_key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"safegrid backup v1").derive(
        master
    )


def seal(source: Path, target: Path, key: bytes) -> str:
    """Compress and encrypt ``source`` into ``target``; returns the SHA-256 of the
    plaintext (recorded in the manifest, checked again by :func:`open_sealed`)."""
    nonce = os.urandom(NONCE_BYTES)
    header = MAGIC + nonce
    enc = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(header)
    squash = zlib.compressobj(6)
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".partial")
    with source.open("rb") as src, partial.open("wb") as out:
        out.write(header)
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(enc.update(squash.compress(chunk)))
        out.write(enc.update(squash.flush()))
        out.write(enc.finalize())
        out.write(enc.tag)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)
    return digest.hexdigest()


def open_sealed(source: Path, target: Path | None, key: bytes) -> str:
    """Decrypt and decompress ``source`` (into ``target`` when given); returns the
    plaintext's SHA-256. Raises :class:`BackupCheckError` when the file fails its check."""
    size = source.stat().st_size
    if size < len(MAGIC) + NONCE_BYTES + TAG_BYTES:
        raise BackupCheckError(f"备份文件过短 / backup file {source.name} is truncated")
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".partial") if target else None
    with source.open("rb") as src:
        header = src.read(len(MAGIC) + NONCE_BYTES)
        if not header.startswith(MAGIC):
            raise BackupCheckError(f"不是备份文件 / {source.name} is not a SafeGrid backup")
        src.seek(size - TAG_BYTES)
        tag = src.read(TAG_BYTES)
        src.seek(len(header))
        dec = Cipher(algorithms.AES(key), modes.GCM(header[len(MAGIC) :], tag)).decryptor()
        dec.authenticate_additional_data(header)
        expand = zlib.decompressobj()
        remaining = size - len(header) - TAG_BYTES
        out = partial.open("wb") if partial else None
        try:
            while remaining > 0:
                chunk = src.read(min(CHUNK, remaining))
                remaining -= len(chunk)
                plain = expand.decompress(dec.update(chunk))
                digest.update(plain)
                if out:
                    out.write(plain)
            dec.finalize()
            tail = expand.flush()
            digest.update(tail)
            if out:
                out.write(tail)
        except (InvalidTag, zlib.error):
            if out:
                out.close()
                partial.unlink(missing_ok=True)  # type: ignore[union-attr]
            raise BackupCheckError(
                f"备份文件校验失败 / backup file {source.name} fails its check "
                "(altered, truncated or another key)"
            ) from None
        finally:
            if out and not out.closed:
                out.close()
    if partial and target:
        partial.replace(target)
    return digest.hexdigest()
