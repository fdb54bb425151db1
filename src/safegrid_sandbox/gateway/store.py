"""The gateway's own state: one SQLite file (WAL), independent of SafeGrid's database, so
what the gateway owes SafeGrid survives a restart of either side.

Money is integer fen here: the gateway is a separate system and converts at its edges.
One connection guarded by a lock; every statement is short.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    merchant_order_no TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    subject TEXT NOT NULL,
    return_url TEXT NOT NULL,
    status TEXT NOT NULL,
    trade_no TEXT UNIQUE,
    created_at REAL NOT NULL,
    paid_at REAL
);
CREATE TABLE IF NOT EXISTS deliveries (
    trade_no TEXT PRIMARY KEY,
    merchant_order_no TEXT NOT NULL UNIQUE REFERENCES orders (merchant_order_no),
    amount_fen INTEGER NOT NULL,
    reported_fen INTEGER NOT NULL,
    body TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (delivered, next_at);
CREATE TABLE IF NOT EXISTS modes (name TEXT PRIMARY KEY, value TEXT);
"""


@dataclasses.dataclass(frozen=True)
class Order:
    merchant_order_no: str
    merchant_id: str
    amount_fen: int
    subject: str
    return_url: str
    status: str  # created | paid | cancelled
    trade_no: str | None


@dataclasses.dataclass(frozen=True)
class Delivery:
    trade_no: str
    merchant_order_no: str
    amount_fen: int
    reported_fen: int
    body: str  # JSON of the signed callback parameters, fixed at payment time
    delivered: bool
    attempts: int
    next_at: float
    last_status: int | None
    last_error: str | None


class GatewayStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a crash of the process (not of the machine): enough
        # for a sandbox, and it keeps payments fast under load.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _one(self, sql: str, *params: Any) -> tuple[Any, ...] | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def order(self, merchant_order_no: str) -> Order | None:
        row = self._one(
            "SELECT merchant_order_no, merchant_id, amount_fen, subject, return_url, status, "
            "trade_no FROM orders WHERE merchant_order_no = ?",
            merchant_order_no,
        )
        return None if row is None else Order(*row)

    def delivery(self, trade_no: str) -> Delivery | None:
        row = self._one(f"SELECT {_DELIVERY_COLS} FROM deliveries WHERE trade_no = ?", trade_no)  # noqa: S608
        return None if row is None else _delivery(row)

    def deliveries(self, delivered: bool | None = None) -> list[Delivery]:
        sql = f"SELECT {_DELIVERY_COLS} FROM deliveries"  # noqa: S608
        params: tuple[Any, ...] = ()
        if delivered is not None:
            sql += " WHERE delivered = ?"
            params = (int(delivered),)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY rowid", params).fetchall()
        return [_delivery(tuple(r)) for r in rows]

    def claim_due(self, now: float, limit: int, exclude: set[str]) -> list[Delivery]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_DELIVERY_COLS} FROM deliveries WHERE delivered = 0 AND next_at <= ? "  # noqa: S608
                "ORDER BY next_at LIMIT ?",
                (now, limit + len(exclude)),
            ).fetchall()
        found = [_delivery(tuple(r)) for r in rows]
        return [d for d in found if d.trade_no not in exclude][:limit]

    def record_attempt(
        self,
        trade_no: str,
        *,
        delivered: bool,
        status: int | None,
        error: str | None,
        next_at: float,
        now: float,
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, "
                "next_at = ?, delivered = MAX(delivered, ?), "
                "delivered_at = COALESCE(delivered_at, CASE WHEN ? THEN ? END) "
                "WHERE trade_no = ?",
                (status, error, next_at, int(delivered), int(delivered), now, trade_no),
            )

    def counts(self) -> tuple[int, int]:
        row = self._one(
            "SELECT COALESCE(SUM(delivered = 0), 0), COALESCE(SUM(delivered = 1), 0) "
            "FROM deliveries"
        )
        assert row is not None
        return int(row[0]), int(row[1])

    def mode(self, name: str) -> str | None:
        row = self._one("SELECT value FROM modes WHERE name = ?", name)
        return None if row is None else row[0]

    def set_mode(self, name: str, value: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO modes (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )


# Fixed column list (no user input is ever formatted into SQL here).
_DELIVERY_COLS = (
    "trade_no, merchant_order_no, amount_fen, reported_fen, body, delivered, attempts, "
    "next_at, last_status, last_error"
)


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(
        row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7], row[8], row[9]
    )
