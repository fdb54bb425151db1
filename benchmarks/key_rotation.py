"""Key rotation throughput on a real database (DATA-2, ADR 0014): stored values re-encrypted
per second by ``safegrid keys reencrypt``, in worker processes against the same batches run
in the calling process alone (``--processes 1``), measured in the same run, and the time
that rate gives for 20 million values.

Builds a scratch database (SQLite file, or ``--database-url`` whose tables are dropped
first) migrated to head, with ``--values`` / 3 customers inserted through Core with
``fields.seal_bulk`` — three encrypted columns each (ID number and mobile with their blind
indexes, address). Then, twice: ``do_rotate_key`` (audited, as the CLI) and
``key_rotation.reencrypt`` over every encrypted column — first with one process, then with
``--processes`` workers — checking afterwards that every value is under the new key and a
sample decrypts to what was written.

    .venv/bin/python benchmarks/key_rotation.py [--values 200000] [--processes 2] [--batch 1000]
    SAFEGRID_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python benchmarks/key_rotation.py \
        --database-url "$SAFEGRID_DATABASE_URL"    # its tables are dropped first!
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, text

from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.customers.models import Customer
from safegrid.customers.validation import id_check_char
from safegrid.org.models import OrgUnit
from safegrid.security import key_rotation, key_store
from safegrid.security.actor import Actor
from safegrid.security.fields import seal_bulk

print = functools.partial(print, flush=True)  # progress shows as it happens
CHUNK = 20_000
TARGET = 20_000_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FIELDS_PER_CUSTOMER = 3  # id_number, mobile, address


def platform_for(url: str | None, workdir: Path) -> Platform:
    platform = Platform(Settings(env="dev", database_url=url or f"sqlite:///{workdir / 'keys.db'}"))
    if not platform.settings.is_sqlite:
        with platform.engine.begin() as conn:  # a throwaway database: start from nothing
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    platform.migrate()
    set_platform(platform)  # seal_bulk encrypts under this database's key ring
    return platform


def _customer(i: int) -> dict[str, object]:
    first17 = f"3301{i:013d}"
    return {
        "id": i,
        "number": f"K{i:010d}",
        "kind": "resident",
        "name": f"用户{i}",
        "id_number": first17 + id_check_char(first17),
        "mobile": f"139{i:08d}",
        "address": f"浙江省杭州市富阳区富春街道江滨西路{i}号",
        "status": "active",
        "is_key_customer": False,
        "created_at": NOW,
        "updated_at": NOW,
        "org_unit_id": 1,
    }


def build(platform: Platform, customers: int) -> None:
    table = Customer.__table__
    with platform.engine.begin() as conn:
        conn.execute(
            insert(OrgUnit.__table__),
            [{"id": 1, "code": "zj", "name": "浙江省", "name_en": "Zhejiang",
              "kind": "province", "parent_id": None, "path": "/1/"}],
        )  # fmt: skip
        for lo in range(0, customers, CHUNK):
            rows = [_customer(i) for i in range(lo + 1, min(lo + CHUNK, customers) + 1)]
            seal_bulk(table, rows)
            conn.execute(insert(table), rows)


def _cpu_seconds() -> float:
    # This process and its finished children (the workers, reaped when the pool closes);
    # not the PostgreSQL server's own processes.
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rotate_and_reencrypt(
    platform: Platform, processes: int, batch: int
) -> tuple[int, float, float]:
    actor = Actor.system("benchmark", "job")
    master = key_store.master_key(platform.settings)
    _, version = key_rotation.do_rotate_key(platform.uow(actor), platform.keyring, master)
    start, cpu = time.perf_counter(), _cpu_seconds()
    result = key_rotation.reencrypt(
        platform.engine, platform.keyring, batch_size=batch, processes=processes
    )
    elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    key_rotation.do_record_reencryption(platform.uow(actor), result)
    counts = key_rotation.version_counts(platform.engine)
    assert all(set(c) <= {str(version)} for c in counts.values()), counts
    return result.values_rewritten, elapsed, cpu


def check_sample(platform: Platform, customers: int) -> None:
    step = max(customers // 50, 1)
    ids = list(range(1, customers + 1, step))
    with platform.uow(Actor.system("benchmark", "job"), readonly=True) as uow:
        rows = uow.session.execute(
            select(Customer.id, Customer.id_number, Customer.mobile).where(Customer.id.in_(ids))
        ).all()
    for cid, id_number, mobile in rows:
        expected = _customer(cid)
        assert (id_number, mobile) == (expected["id_number"], expected["mobile"]), cid
    assert len(rows) == len(ids)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--values", type=int, default=200_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch", type=int, default=1000, help="rows per committed batch")
    parser.add_argument("--database-url", default=None, help="its tables are dropped first!")
    args = parser.parse_args(argv)
    customers = max(args.values // FIELDS_PER_CUSTOMER, 1)
    with tempfile.TemporaryDirectory() as tmp:
        platform = platform_for(args.database_url, Path(tmp))
        try:
            t0 = time.perf_counter()
            build(platform, customers)
            dialect = platform.engine.dialect.name
            print(f"{dialect}: {customers:,} customers, {customers * 3:,} encrypted values "
                  f"built in {time.perf_counter() - t0:.1f} s")  # fmt: skip
            one_n, one_s, one_cpu = rotate_and_reencrypt(platform, 1, args.batch)
            check_sample(platform, customers)
            many_n, many_s, many_cpu = rotate_and_reencrypt(platform, args.processes, args.batch)
            check_sample(platform, customers)
        finally:
            set_platform(None)
            platform.dispose()
    one, many = one_n / one_s, many_n / many_s
    rows = [
        ("1 process", one_n, one_s, one_cpu),
        (f"{args.processes} worker processes", many_n, many_s, many_cpu),
    ]
    for label, n, wall, cpu in rows:
        print(f"  re-encryption, {label:20} {n:>9,} values in {wall:6.1f} s = {n / wall:>8,.0f} /s"
              f"  ({n / cpu:>7,.0f} per CPU-second of ours)")  # fmt: skip
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end "
          "(other work shares them)")  # fmt: skip
    print(f"  20,000,000 values at that rate: {TARGET / many / 60:.0f} min "
          f"(1 process: {TARGET / one / 60:.0f} min), batches of {args.batch} rows")  # fmt: skip
    print(f"ratio {many / one:.2f}× ({args.processes} worker processes vs 1 process, same run)")
    return {"one_process": one, "processes": many, "ratio": many / one,
            "per_cpu_second": one_n / one_cpu, "minutes_20m": TARGET / many / 60}  # fmt: skip


if __name__ == "__main__":
    main()
