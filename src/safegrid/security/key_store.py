"""Wrapped data keys in the database (DATA-2) and the master key from the settings.

A data key is stored only wrapped (SM4-GCM under the master key, its version bound in
the associated data), so the database alone never yields a key. Versions are never
deleted: backups made before a rotation still need the retired keys to decrypt.
"""

from __future__ import annotations

import enum
import os
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from sqlalchemy import Connection, Engine, Integer, LargeBinary, func, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.config import Settings
from safegrid.platform import clock
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.security.keyring import KeyRing, WrappedKey
from safegrid.security.sm4 import KEY_BYTES, wrap_key


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"  # encrypts new values (exactly one)
    RETIRED = "retired"  # decrypts only; rows move off it when a rotation re-encrypts


DATA_KEYS = "data_keys"


class DataKey(Base):
    __tablename__ = DATA_KEYS

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary(64), info={"secret": True})
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class MasterKeyError(RuntimeError):
    pass


# The dev/test master key is derived from a public string: fine for the demo's generated
# people, refused in production (like the placeholder SAFEGRID_SECRET_KEY).
def _dev_master_key() -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"safegrid dev master key - not for production")
    return digest.finalize()[:KEY_BYTES]


DEV_MASTER_KEY = _dev_master_key()


def master_key(settings: Settings) -> bytes:
    """From SAFEGRID_MASTER_KEY_FILE, else SAFEGRID_MASTER_KEY (32 hex digits each)."""
    source, text = "SAFEGRID_MASTER_KEY", settings.master_key
    if settings.master_key_file is not None:
        source = f"SAFEGRID_MASTER_KEY_FILE ({settings.master_key_file})"
        try:
            text = Path(settings.master_key_file).read_text().strip()
        except OSError as exc:
            raise MasterKeyError(f"{source} cannot be read: {exc.strerror}") from None
    if not text:
        if settings.env == "prod":
            raise MasterKeyError(
                "SAFEGRID_MASTER_KEY or SAFEGRID_MASTER_KEY_FILE must be set when "
                "SAFEGRID_ENV=prod (32 hex digits; e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(16))'`)"
            )
        return DEV_MASTER_KEY
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise MasterKeyError(f"{source} is not hexadecimal") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{source} must be {KEY_BYTES * 2} hex digits (an SM4 key)")
    if key == DEV_MASTER_KEY and settings.env == "prod":
        raise MasterKeyError(f"{source} is the public development key; refused in prod")
    return key


def load_keys(engine: Engine) -> list[WrappedKey]:
    # Its own short connection: the ring may load from inside another session's flush.
    with engine.connect() as conn:
        rows = conn.execute(
            select(DataKey.version, DataKey.wrapped, DataKey.status).order_by(DataKey.version)
        ).all()
    return [WrappedKey(v, bytes(w), KeyStatus(s) == KeyStatus.ACTIVE) for v, w, s in rows]


def make_ring(engine: Engine, settings: Settings) -> KeyRing:
    return KeyRing(master_key(settings), lambda: load_keys(engine))


def add_version(conn: Connection, master: bytes) -> tuple[int | None, int]:
    """A fresh random data key becomes the active version; the previous one is retired.

    Returns (previous active version or None, new version). Runs in the caller's
    transaction (a unit of work's connection), so the key and its audit entry commit
    together.
    """
    # Rotations take turns on the oldest key row (it exists from the first key on): the
    # next one reads the active version and the highest number only after the previous
    # one committed. SQLite's writing transactions are serialised already.
    conn.execute(select(DataKey.version).order_by(DataKey.version).limit(1).with_for_update())
    previous = conn.scalar(select(DataKey.version).where(DataKey.status == KeyStatus.ACTIVE))
    version = (conn.scalar(select(func.max(DataKey.version))) or 0) + 1
    now = clock.now()
    conn.execute(
        update(DataKey)
        .where(DataKey.status == KeyStatus.ACTIVE)
        .values(status=KeyStatus.RETIRED, retired_at=now)
    )
    conn.execute(
        insert(DataKey).values(
            version=version,
            wrapped=wrap_key(master, os.urandom(KEY_BYTES), version),
            status=KeyStatus.ACTIVE,
            created_at=now,
        )
    )
    return previous, version


def ensure_active_key(engine: Engine, master: bytes) -> int:
    """The first data key of a new database (called after migrations); idempotent.

    Not audited: like the schema it belongs to, it exists before any actor does.
    """
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        active = conn.scalar(select(DataKey.version).where(DataKey.status == KeyStatus.ACTIVE))
        if active is not None:
            return int(active)
        return add_version(conn, master)[1]
