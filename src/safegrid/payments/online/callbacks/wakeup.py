"""Waking the callback inbox's applier when the door commits rows (PAY-7; ADR 0020).

The applier sleeps while the inbox is empty instead of polling it (it used to look every
50 ms: ~8 % of a core on an idle demo). It is woken:

- on PostgreSQL by ``NOTIFY`` from the receiving transaction itself
  (:func:`announce`): the server delivers it at commit — never for a rolled-back batch,
  and to appliers on any machine;
- on SQLite (one machine by nature) by a datagram the receiving process sends to the
  applier's local socket after its commit (:func:`poke`); the socket's name is derived
  from the database file, so every process of one database finds the same one.

A wake-up is a hint, never the only way a row is found: :class:`Waiter.wait` returns after
a long fallback interval (``SAFEGRID_PAY_INBOX_IDLE_POLL_SECONDS``) in any case — rows a
crashed applier left, a lost datagram, a second applier on SQLite (the last to bind the
socket gets the datagrams) — and whatever woke it, the applier applies until nothing is
claimable before it sleeps again.
"""

from __future__ import annotations

import contextlib
import hashlib
import select
import socket
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from safegrid.bootstrap import Platform
from safegrid.security.scope import unscoped

CHANNEL = "safegrid_callback_inbox"


def _sqlite_file(platform: Platform) -> str | None:
    engine = platform.engine
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return str(Path(database).resolve())


def socket_path(platform: Platform) -> Path | None:
    """The SQLite database's wake-up socket (a short name: AF_UNIX paths are limited)."""
    database = _sqlite_file(platform)
    if database is None:
        return None
    digest = hashlib.sha256(database.encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"safegrid-inbox-{digest}.sock"


def announce(session: Session) -> None:
    """Inside the transaction that committed rows to the inbox (PostgreSQL: delivered to
    the listening appliers when — and only if — it commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sql_select(func.pg_notify(CHANNEL, "")),
            execution_options=unscoped("a wake-up reads no row of any unit"),
        )


def poke(platform: Platform) -> None:
    """After such a commit on SQLite: tell the applier process, if one listens."""
    path = socket_path(platform)
    if path is None:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        # Nobody listening, or its queue already full of wake-ups: nothing to add.
        with contextlib.suppress(OSError):
            sock.sendto(b"!", str(path))


class Waiter:
    """Where the applier sleeps: until a wake-up, :meth:`interrupt` (stopping) or the
    fallback interval. Listening starts on entering, before the applier's first look, so
    a row committed between that look and the sleep still wakes it."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._stop_r, self._stop_w = socket.socketpair()
        self._stop_w.setblocking(False)
        self._pg: Any = None  # the listening psycopg connection (PostgreSQL)
        self._sock: socket.socket | None = None  # the wake-up socket (SQLite)
        self._path: Path | None = None

    def __enter__(self) -> Waiter:
        if self._platform.engine.dialect.name == "postgresql":
            raw = self._platform.engine.raw_connection()
            self._pg = raw.driver_connection
            raw.detach()  # LISTEN belongs to this connection alone, never back to the pool
            self._pg.rollback()
            self._pg.autocommit = True
            self._pg.execute(f"LISTEN {CHANNEL}")
        elif (path := socket_path(self._platform)) is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # left by an applier that died: the name is ours now
            sock.bind(str(path))
            sock.setblocking(False)
            self._sock, self._path = sock, path
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pg is not None:
            with contextlib.suppress(Exception):
                self._pg.close()
        if self._sock is not None:
            self._sock.close()
            if self._path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._path.unlink()
        self._stop_r.close()
        self._stop_w.close()

    def interrupt(self) -> None:
        """Wake the sleeper at once (safe from a signal handler or another thread)."""
        with contextlib.suppress(OSError):
            self._stop_w.send(b"!")

    def wait(self, timeout: float) -> bool:
        """Sleep until woken or ``timeout`` seconds; whether a wake-up (not the fallback
        interval) ended it. Wake-ups that arrived together count as one."""
        watched: list[Any] = [self._stop_r]
        if self._pg is not None:
            watched.append(self._pg.fileno())
        if self._sock is not None:
            watched.append(self._sock)
        ready, _, _ = select.select(watched, [], [], timeout)
        return self._drain() or bool(ready)

    def _drain(self) -> bool:
        woken = False
        if self._pg is not None:
            pgconn = self._pg.pgconn
            pgconn.consume_input()  # raises if the connection is gone: the caller reopens
            while pgconn.notifies() is not None:
                woken = True
        for sock in (self._sock, self._stop_r):
            if sock is None:
                continue
            sock.setblocking(False)
            while True:
                try:
                    sock.recv(64)
                except (BlockingIOError, InterruptedError):
                    break
                woken = True
        return woken
