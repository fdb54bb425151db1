"""Audit chain verification throughput (AUD-2; target in the data-protection issue:
≥ 200,000 entries/s).

Builds a chain of N entries in a scratch database (computed exactly as the writer does,
then bulk-inserted), then times `safegrid.security.audit.verify` — what `safegrid audit
verify` runs: the SQL index check and the SM3 re-hash split over two processes by seq range
(see safegrid.security.audit_verify) — against a baseline measured in the same run: the
straightforward verifier that loads each entry through the ORM and recomputes its hash one
query at a time. The single-process figure of the same code is printed too.

    .venv/bin/python benchmarks/audit_verify.py [--entries 1000000] [--baseline 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.security import audit
from safegrid.security.models import AuditEntry, AuditHead
from safegrid.security.scope import Scope


def build_chain(platform: Platform, n: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev = audit.GENESIS
    rows = []
    for seq in range(1, n + 1):
        at = start + timedelta(seconds=seq)
        before = {"name": "张三", "mobile": "138****5678"} if seq % 3 == 0 else None
        after = {"name": "张三丰", "mobile": "138****5678", "status": "active"}
        body = audit.entry_body(
            seq,
            at,
            7,
            "hall_agent.zj-hz-fy",
            "web",
            "10.0.0.8",
            "customer.update",
            "customer",
            str(seq % 5000),
            None,
            before,
            after,
            None,
        )
        text_body = audit.canonical(body).decode()
        digest = audit.chain_hash_text(prev, text_body)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor_id": 7,
                "actor_name": "hall_agent.zj-hz-fy",
                "channel": "web",
                "ip": "10.0.0.8",
                "action": "customer.update",
                "object_type": "customer",
                "object_id": str(seq % 5000),
                "org_unit_id": None,
                "body": text_body,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    with platform.engine.begin() as conn:
        for i in range(0, n, 50_000):
            conn.execute(insert(AuditEntry), rows[i : i + 50_000])
        conn.execute(update(AuditHead).values(seq=n, last_hash=prev))


def naive_verify(platform: Platform, n: int) -> int:
    """One ORM query per entry, as a first implementation would do it."""
    prev = audit.GENESIS
    with Session(platform.engine) as s:
        s.info["scope"] = Scope.everything()
        for seq in range(1, n + 1):
            e = s.scalars(select(AuditEntry).where(AuditEntry.seq == seq)).one()
            # Rebuild the entry from its columns and re-serialise it, as a first version would.
            body = audit.entry_body(
                e.seq,
                e.at,
                e.actor_id,
                e.actor_name,
                e.channel,
                e.ip,
                e.action,
                e.object_type,
                e.object_id,
                e.org_unit_id,
                e.before,
                e.after,
                e.note,
            )
            if e.prev_hash != prev or audit.chain_hash(prev, body) != e.hash:
                raise SystemExit(f"baseline found a broken entry {seq}")
            prev = e.hash
    return n


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=20_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Settings(env="dev", database_url=f"sqlite:///{Path(tmp) / 'audit.db'}"))
        platform.migrate()
        t0 = time.perf_counter()
        build_chain(platform, args.entries)
        print(f"built a chain of {args.entries:,} entries in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        with platform.engine.connect() as conn:
            result = audit.verify(conn, workers=1)
        single = time.perf_counter() - t0
        assert result.ok, result
        t0 = time.perf_counter()
        with platform.engine.connect() as conn:
            result = audit.verify(conn)
        ours = time.perf_counter() - t0
        assert result.ok, result
        assert result.checked == args.entries, result
        base_n = min(args.baseline, args.entries)
        t0 = time.perf_counter()
        naive_verify(platform, base_n)
        base = time.perf_counter() - t0
        platform.dispose()
    ours_rate, base_rate = args.entries / ours, base_n / base
    print(f"safegrid verify : {ours_rate:12,.0f} entries/s  ({args.entries:,} in {ours:.2f} s)")
    print(f"  one process   : {args.entries / single:12,.0f} entries/s  ({single:.2f} s)")
    print(f"naive ORM verify: {base_rate:12,.0f} entries/s  ({base_n:,} in {base:.2f} s)")
    print(f"ratio           : {ours_rate / base_rate:12.1f}x   (target: >= 200,000 entries/s)")
    return {"ours": ours_rate, "baseline": base_rate}


if __name__ == "__main__":
    main()
