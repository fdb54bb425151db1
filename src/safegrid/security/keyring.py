"""The process-wide key ring (DATA-2): the master key, the unwrapped data keys, the blind
index keys.

Data keys live wrapped in the ``data_keys`` table (see ``key_store``); the ring unwraps
them with the master key, which comes from the environment or a key file and never enters
the database. The ring encrypts with the active version and decrypts any version it holds.
Another process may rotate keys: meeting a version it does not hold, the ring reloads from
the database once before refusing, and it re-reads which version is active every
``refresh_seconds`` so its new values follow a rotation soon after it starts.

This module imports no models: the column type in ``fields`` uses it from inside
SQLAlchemy's bind/result processing, and the platform injects the loader.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from safegrid.security import blind_index as bidx
from safegrid.security.sm4 import (
    FieldCipher,
    UnknownKeyVersionError,
    unwrap_key,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrappedKey:
    version: int
    wrapped: bytes
    active: bool


KeyLoader = Callable[[], Sequence[WrappedKey]]


class NoActiveKeyError(UnknownKeyVersionError):
    """The database holds no active data key (run ``safegrid db upgrade``)."""


class KeyRing:
    def __init__(self, master: bytes, load: KeyLoader, *, refresh_seconds: float = 30.0) -> None:
        self._master = master
        self._load = load
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._cipher: FieldCipher | None = None
        self._loaded_at = 0.0
        self._index_keys: dict[str, bytes] = {}

    # -- keys ---------------------------------------------------------------------------
    def reload(self) -> FieldCipher:
        with self._lock:
            rows = self._load()
            keys = {r.version: unwrap_key(self._master, r.wrapped, r.version) for r in rows}
            active = [r.version for r in rows if r.active]
            if not active:
                raise NoActiveKeyError(
                    "no active data key in the database: run `safegrid db upgrade`"
                )
            self._cipher = FieldCipher(keys, max(active))
            self._loaded_at = time.monotonic()
            return self._cipher

    @property
    def cipher(self) -> FieldCipher:
        cipher = self._cipher
        if cipher is None or time.monotonic() - self._loaded_at > self._refresh:
            return self.reload()
        return cipher

    @property
    def active_version(self) -> int:
        return self.cipher.active

    def versions(self) -> set[int]:
        return set(self.cipher.versions)

    # -- values -------------------------------------------------------------------------
    def encrypt(self, plaintext: str, field: str) -> str:
        return self.cipher.encrypt(plaintext, field)

    def encrypt_many(self, plaintexts: Sequence[str], field: str) -> list[str]:
        return self.cipher.encrypt_many(plaintexts, field)

    def decrypt_many(self, tokens: Sequence[str], field: str) -> list[str]:
        cipher = self.cipher
        versions = {FieldCipher.version_of(token) for token in tokens}
        if not versions <= cipher.versions:
            # Another process may have rotated since we loaded: look once more.
            cipher = self.reload()
            for version in sorted(versions - cipher.versions):
                log.error("field %s names unknown data key version %s", field, version)
                raise UnknownKeyVersionError(
                    f"{field}: no data key of version {version} (is the master key right?)"
                )
        return cipher.decrypt_many(tokens, field)

    def decrypt(self, token: str, field: str) -> str:
        return self.decrypt_many([token], field)[0]

    def index_key(self, field: str) -> bytes:
        key = self._index_keys.get(field)
        if key is None:
            key = self._index_keys[field] = bidx.derive_index_key(self._master, field)
        return key

    def blind_index(self, field: str, value: str) -> str:
        return bidx.blind_index(self.index_key(field), value)


_ring: KeyRing | None = None
# The ring of the database the current thread last executed a statement on: a process
# that opens two platforms (tests, a demo built next to the live database) must encrypt
# each database's rows under that database's keys, not the process default's.
_engine_ring: ContextVar[KeyRing | None] = ContextVar("safegrid_engine_ring", default=None)


def configure(ring: KeyRing | None) -> None:
    """Install the process-wide ring (done by ``bootstrap`` with the current platform)."""
    global _ring
    _ring = ring


def attach(engine: Any, ring: Callable[[], KeyRing]) -> None:
    """Statements executed on ``engine`` use ``ring`` (set per execution, per thread)."""

    def _use_ring(*_args: Any, **_kw: Any) -> None:
        _engine_ring.set(ring())

    event.listen(engine, "before_execute", _use_ring)


def current() -> KeyRing:
    bound = _engine_ring.get()
    if bound is not None:
        return bound
    if _ring is None:
        raise RuntimeError(
            "no key ring configured: build the platform (safegrid.bootstrap) before "
            "reading or writing encrypted columns"
        )
    return _ring
