"""PostgreSQL backups (OPS-4): ``pg_basebackup`` (tar format, WAL streamed alongside) sealed
into one file, plus every WAL segment the server archives (:mod:`.wal`), so a restore can
replay to any time after the backup: point-in-time recovery by PostgreSQL itself.

A restore builds a new data directory (never the live one), replays archived WAL up to
the target time and is promoted; the drill then starts it on a scratch port and checks it.
"""

from __future__ import annotations

import shlex
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from safegrid.platform import clock
from safegrid.secops.backup import pgcluster, store, wal
from safegrid.secops.backup.counts import row_counts
from safegrid.secops.backup.sealed import open_sealed, seal
from safegrid.secops.backup.settings import BackupSettings
from safegrid.secops.backup.sqlite import RestoreRefusedError


def run(url: str, settings: BackupSettings, key: bytes) -> store.Manifest:
    wal.seal_spool(settings.dir, key)
    started = clock.now()
    manifest_id = store.new_id("postgresql", started)
    bin_dir = pgcluster.pg_bin(settings.pg_bin)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = row_counts(conn)
    finally:
        engine.dispose()
    root = store.full_dir(settings.dir)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        base = Path(tmp) / "base"
        pgcluster.hand_over(Path(tmp))
        pgcluster.run(bin_dir, "pg_basebackup", "-d", pgcluster.conninfo(url), "-D", str(base),
                      "-Ft", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        bundle = Path(tmp) / "bundle.tar"
        with tarfile.open(bundle, "w") as tar:
            for part in sorted(base.iterdir()):
                tar.add(part, arcname=part.name)
        target = root / f"{manifest_id}.sgbk"
        digest = seal(bundle, target, key)
    manifest = store.Manifest(
        id=manifest_id, backend="postgresql", created_at=started.isoformat(),
        finished_at=clock.now().isoformat(), file=target.name, size=target.stat().st_size,
        sha256=digest, counts=counts,
    )  # fmt: skip
    store.save(settings.dir, manifest)
    return store.verify(settings.dir, manifest, key, clock.now())


def _live_datadir(live_url: str) -> Path | None:
    engine = create_engine(live_url)
    try:
        with engine.connect() as conn:
            return Path(str(conn.scalar(text("SHOW data_directory"))))
    except OperationalError:  # the live server may be the one that is lost
        return None
    finally:
        engine.dispose()


def flush_wal(live_url: str, timeout: float = 60) -> None:
    """Close the current WAL segment and wait until the server archived it, so a restore
    to "just now" finds its WAL (a lost server cannot do this; its archive ends earlier)."""
    engine = create_engine(live_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            name = conn.scalar(text("SELECT pg_walfile_name(pg_switch_wal())"))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                done = conn.scalar(text("SELECT last_archived_wal FROM pg_stat_archiver"))
                if done is not None and str(done) >= str(name):
                    return
                time.sleep(0.2)
    finally:
        engine.dispose()


def restore(
    settings: BackupSettings, manifest: store.Manifest, key: bytes, target: Path,
    to: datetime | None, live_url: str,
) -> str:  # fmt: skip
    """Restores into the new data directory ``target``, starts it on a free port, waits
    for recovery to reach ``to`` (or the end of the archive) and returns its URL."""
    live = _live_datadir(live_url)
    if live is not None and target.resolve() == live.resolve():
        raise RestoreRefusedError(
            "不能恢复到正在使用的数据库 / refusing to restore onto the live database's data "
            f"directory {live}"
        )
    if target.exists() and any(target.iterdir()):
        raise RestoreRefusedError(f"目标目录非空 / restore target {target} is not empty")
    if live is not None:
        flush_wal(live_url)
    wal.seal_spool(settings.dir, key)
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    with tempfile.TemporaryDirectory(dir=store.full_dir(settings.dir)) as tmp:
        bundle = Path(tmp) / "bundle.tar"
        if open_sealed(store.full_dir(settings.dir) / manifest.file, bundle, key) != (
            manifest.sha256
        ):
            raise RestoreRefusedError(f"备份与清单不符 / backup {manifest.id} does not match")
        with tarfile.open(bundle) as outer:
            outer.extractall(Path(tmp) / "parts", filter="data")
        with tarfile.open(Path(tmp) / "parts" / "base.tar") as tar:
            tar.extractall(target, filter="tar")
        with tarfile.open(Path(tmp) / "parts" / "pg_wal.tar") as tar:
            tar.extractall(target / "pg_wal", filter="tar")
    wal.open_all(settings.dir, key, target / "restore_wal")
    lines = [
        f"restore_command = 'cp {shlex.quote(str(target / 'restore_wal'))}/%f %p'",
        "archive_mode = off",
        "recovery_target_action = 'promote'",
    ]
    if to is not None:
        lines.append(f"recovery_target_time = '{to.isoformat()}'")
    with (target / "postgresql.auto.conf").open("a") as conf:
        conf.write("\n# restore (safegrid backup restore)\n" + "\n".join(lines) + "\n")
    (target / "recovery.signal").touch()
    pgcluster.hand_over(target)
    bin_dir = pgcluster.pg_bin(settings.pg_bin)
    port = pgcluster.free_port()
    pgcluster.start(bin_dir, target, port)
    url = pgcluster.url_on(live_url, port)
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 4 * 3600  # the RTO limit
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if not conn.scalar(text("SELECT pg_is_in_recovery()")):
                    break
            time.sleep(0.2)
    finally:
        engine.dispose()
    return url


def stop_scratch(target: Path, settings: BackupSettings) -> None:
    pgcluster.stop(pgcluster.pg_bin(settings.pg_bin), target)
