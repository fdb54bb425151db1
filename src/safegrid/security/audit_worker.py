"""The audit chain's hot loop on a bare DB-API connection, shared by the verifier and the
second process it starts (``python -m safegrid.security.audit_worker``).

It imports nothing heavier than ``hashlib`` and the database driver, so the second
process starts in milliseconds; the SQL arrives compiled for the backend by
:mod:`safegrid.security.audit_verify`, and the connection parameters arrive on stdin
(never on the command line, where other users could read a password).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any, Final

BATCH: Final = 100_000
_SM3: Final = hashlib.new("sm3")


def first_mismatch(cursor: Any, index_sql: tuple[str, Any]) -> int | None:
    """``index_sql`` is (SQL, parameters in the driver's style)."""
    cursor.execute(index_sql[0], index_sql[1])
    row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def links(cursor: Any, links_sql: str, lo: int, hi: int) -> Any:
    """Rows (seq, prev_hash, hash, body bytes) for lo..hi, in batches; ``links_sql`` has
    ``{after}`` and ``{upto}`` placeholders for integer bounds."""
    last = lo - 1
    while last < hi:
        upper = min(last + BATCH, hi)
        cursor.execute(links_sql.format(after=int(last), upto=int(upper)))
        yield from cursor.fetchall()
        last = upper


def check(
    cursor: Any, index_sql: tuple[str, Any], links_sql: str, lo: int, hi: int, prev: str | None
) -> tuple[int, int | None, str | None]:
    """(checked, first broken seq, reason) for entries lo..hi. ``prev`` is the hash entry
    ``lo`` must link to (None: unknown here, the entry before is checked elsewhere)."""
    mismatch = first_mismatch(cursor, index_sql)
    stop = hi if mismatch is None else mismatch - 1
    expected = lo
    prev_b = None if prev is None else prev.encode()
    proto = _SM3
    for seq, prev_hash, digest, body in links(cursor, links_sql, lo, stop):
        if seq != expected:
            return expected - lo, expected, f"entry {expected} is missing"
        if prev_b is None:
            prev_b = prev_hash.encode()
        elif prev_hash.encode() != prev_b:
            return seq - lo, seq, "prev_hash does not match the previous entry"
        h = proto.copy()
        h.update(prev_b)
        h.update(body)
        hexed = h.hexdigest()
        if hexed != digest:
            return seq - lo, seq, "content does not match its hash"
        prev_b = hexed.encode()
        expected += 1
    if expected <= stop:
        return expected - lo, expected, f"entry {expected} is missing"
    if mismatch is not None:
        return mismatch - lo, mismatch, "columns differ from the hashed entry"
    return hi - lo + 1, None, None


def _connect(backend: str, params: dict[str, Any]) -> Any:
    if backend == "sqlite":
        import sqlite3

        return sqlite3.connect(params["database"])
    import psycopg

    return psycopg.connect(**params)


def main() -> None:
    job = json.load(sys.stdin)
    conn = _connect(job["backend"], job["params"])
    try:
        cursor = conn.cursor()
        result = check(
            cursor, job["index_sql"], job["links_sql"], job["lo"], job["hi"], job["prev"]
        )
    finally:
        conn.close()
    json.dump(list(result), sys.stdout)


if __name__ == "__main__":
    main()
