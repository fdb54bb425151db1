"""Exact-match lookup of one ID number among N encrypted customers (DATA-2; target:
≤ 5 ms median at 1,000,000), printed against a full-decrypt scan in the same run.

A scratch SQLite file holds N rows shaped like ``customers``: the SM4-GCM ciphertext of
the ID number and its HMAC-SM3 blind index (indexed), written with Core ``executemany``.

- lookup: blind-index the wanted ID, ``SELECT … WHERE id_number_bidx = ?`` through the
  index, decrypt the hit(s) to confirm — the path ``CustomerRepository.search`` takes.
- baseline: what search without the index would have to do: read every row and decrypt
  it until the ID matches. Timed on ``--scan`` rows and extrapolated to N (a full scan of
  1,000,000 rows takes minutes); ``--scan 0`` scans all N.

    .venv/bin/python benchmarks/blind_index_lookup.py [--customers 1000000] [--scan 50000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from safegrid.security.blind_index import blind_index, derive_index_key
from safegrid.security.sm4 import FieldCipher

FIELD = "customers.id_number"
CHUNK = 50_000

metadata = MetaData()
customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("id_number", String(160)),
    Column("id_number_bidx", String(32)),
    Index("ix_customers_id_number_bidx", "id_number_bidx"),
)


def unique_ids(n: int) -> list[str]:
    # 17 digits from the row number keep every ID distinct at any N.
    from safegrid.customers.validation import id_check_char

    out = []
    for i in range(n):
        first17 = f"3301{i:013d}"
        out.append(first17 + id_check_char(first17))
    return out


def build(path: Path, n: int, cipher: FieldCipher, index_key: bytes) -> tuple[object, list[str]]:
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    ids = unique_ids(n)
    with engine.begin() as conn:
        for start in range(0, n, CHUNK):
            chunk = ids[start : start + CHUNK]
            tokens = cipher.encrypt_many(chunk, FIELD)
            conn.execute(
                insert(customers),
                [
                    {"id_number": t, "id_number_bidx": blind_index(index_key, v)}
                    for t, v in zip(tokens, chunk, strict=True)
                ],
            )
    return engine, ids


def lookup(conn: object, cipher: FieldCipher, index_key: bytes, wanted: str) -> int | None:
    stmt = select(customers.c.id, customers.c.id_number).where(
        customers.c.id_number_bidx == blind_index(index_key, wanted)
    )
    for row_id, token in conn.execute(stmt):  # type: ignore[attr-defined]
        if cipher.decrypt(token, FIELD) == wanted:
            return int(row_id)
    return None


def scan(conn: object, cipher: FieldCipher, wanted: str, limit: int) -> tuple[int, float]:
    stmt = select(customers.c.id, customers.c.id_number).order_by(customers.c.id).limit(limit)
    start = time.perf_counter()
    seen = 0
    for _row_id, token in conn.execute(stmt):  # type: ignore[attr-defined]
        seen += 1
        if cipher.decrypt(token, FIELD) == wanted:
            break
    return seen, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--scan", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args(argv)
    n = args.customers
    master = os.urandom(16)
    cipher = FieldCipher({1: os.urandom(16)}, 1)
    index_key = derive_index_key(master, FIELD)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        engine, ids = build(Path(tmp) / "bench.db", n, cipher, index_key)
        built = time.perf_counter() - t0
        step = max(n // args.lookups, 1)
        wanted = [ids[i] for i in range(0, n, step)][: args.lookups]
        times = []
        with engine.connect() as conn:  # type: ignore[attr-defined]
            for w in wanted:
                start = time.perf_counter()
                found = lookup(conn, cipher, index_key, w)
                times.append(time.perf_counter() - start)
                assert found is not None
            median_ms = statistics.median(times) * 1000
            limit = n if args.scan <= 0 else min(args.scan, n)
            seen, elapsed = scan(conn, cipher, "no such id", limit)
        engine.dispose()  # type: ignore[attr-defined]
    scan_ms = elapsed / seen * n * 1000
    how = "measured" if seen == n else f"extrapolated from {seen:,} rows"
    print(f"{n:,} encrypted customers built in {built:.1f} s")
    print(f"  blind-index lookup, median of {len(times)}: {median_ms:8.3f} ms (target ≤ 5 ms)")
    print(f"  full-decrypt scan ({how}):  {scan_ms:8.0f} ms")
    print(f"ratio {scan_ms / median_ms:,.0f}× faster than decrypting every row")
    return {"median_ms": median_ms, "scan_ms": scan_ms}


if __name__ == "__main__":
    main()
