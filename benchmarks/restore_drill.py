"""OPS-4: the restore drill's recovery time (RTO, limit 4 h) on PostgreSQL with a bulky
table of ``--rows`` rows (default 10 million), measured: a WAL-archiving primary of its
own, the schema, the rows (``INSERT … SELECT generate_series``), a sealed base backup,
then ``do_restore_drill`` — decrypt, restore, replay WAL, start, verify the audit chain
and count every table. Baseline in the same run: the time to write the rows in the first
place (a restore slower than re-loading would be no plan at all).

For the demo database (SQLite) the figure is ``safegrid backup run && safegrid backup
drill`` on var/safegrid.db. This script needs root or the postgres user's rights
(it runs PostgreSQL's programs as ``postgres`` when root).

    .venv/bin/python benchmarks/restore_drill.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.secops.backup import pgcluster, service, wal
from safegrid.secops.backup.settings import BackupSettings
from safegrid.security.actor import Actor

ACTOR = Actor.system("benchmark", "cli")


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=10_000_000)
    a = p.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="sg-drill-"))
    root.chmod(0o755)
    settings = BackupSettings(dir=root / "backups")
    wal.spool_dir(settings.dir)
    pgcluster.hand_over(root)
    bin_dir = pgcluster.pg_bin()
    primary = root / "primary"
    port = pgcluster.archiving_primary(bin_dir, primary, wal.archive_command(settings.dir))
    try:
        pgcluster.run(bin_dir, "createdb", "-h", "127.0.0.1", "-p", str(port), "-U",
                      "safegrid", "sg")  # fmt: skip
        url = f"postgresql+psycopg://safegrid@127.0.0.1:{port}/sg"
        platform = Platform(Settings(env="dev", database_url=url, scheduler_enabled=False,
                                     tmp_dir=root / "tmp"))  # fmt: skip
        platform.migrate()
        started = time.perf_counter()
        with platform.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO rate_events (account_id, action, at) SELECT g % 5000, "
                    "'reveal', now() - g * interval '1 second' FROM generate_series(1, :n) g"
                ),
                {"n": a.rows},
            )
        load = time.perf_counter() - started
        started = time.perf_counter()
        m = service.do_run_backup(platform, ACTOR, settings)
        took_backup = time.perf_counter() - started
        drill = service.do_restore_drill(platform, ACTOR, settings=settings)
        platform.engine.dispose()
    finally:
        pgcluster.stop(bin_dir, primary)
        shutil.rmtree(root, ignore_errors=True)
    rows = sum(drill.counts.values())
    print(
        f"PostgreSQL, {a.rows:,} bulk rows ({rows:,} rows in all), backup {m.size:,} bytes "
        f"sealed in {took_backup:.1f} s"
    )
    print(
        f"restore drill: audit chain {'intact' if drill.chain_ok else 'BROKEN'}, counts "
        f"{'match' if drill.counts_ok else 'DIFFER'}; RTO {drill.rto_seconds:.1f} s "
        f"(limit 4 h = 14400 s)"
    )
    print(
        f"baseline (loading the rows): {load:.1f} s; ratio RTO/load {drill.rto_seconds / load:.2f}"
    )
    return {"rto": drill.rto_seconds, "load": load}


if __name__ == "__main__":
    main()
