"""SQLite backups by the online backup API: a consistent copy while the server keeps
serving (readers and writers continue; the copy restarts pages a writer changed)."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine

from safegrid.platform import clock
from safegrid.secops.backup import store
from safegrid.secops.backup.counts import row_counts
from safegrid.secops.backup.sealed import open_sealed, seal


class RestoreRefusedError(RuntimeError):
    pass


def database_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def run(url: str, root: Path, key: bytes, tmp_dir: Path) -> store.Manifest:
    started = clock.now()
    manifest_id = store.new_id("sqlite", started)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
        copy = Path(tmp) / "copy.db"
        with (
            closing(sqlite3.connect(database_path(url))) as src,
            closing(sqlite3.connect(copy)) as dst,
        ):
            src.backup(dst, pages=4096)
        engine = create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                counts = row_counts(conn)
        finally:
            engine.dispose()
        target = store.full_dir(root) / f"{manifest_id}.sgbk"
        digest = seal(copy, target, key)
    manifest = store.Manifest(
        id=manifest_id,
        backend="sqlite",
        created_at=started.isoformat(),
        finished_at=clock.now().isoformat(),
        file=target.name,
        size=target.stat().st_size,
        sha256=digest,
        counts=counts,
    )
    store.save(root, manifest)
    return store.verify(root, manifest, key, clock.now())


def restore(root: Path, manifest: store.Manifest, key: bytes, target: Path, live: Path) -> Path:
    """Writes the backup's database to ``target``, which must not exist and must not be
    the live database: a restore never overwrites a database in use."""
    if target.resolve() == live.resolve():
        raise RestoreRefusedError(
            "不能恢复到正在使用的数据库 / refusing to restore onto the live database "
            f"{live}; restore to a new path and switch over"
        )
    if target.exists():
        raise RestoreRefusedError(f"目标已存在 / restore target {target} exists; choose a new path")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = open_sealed(store.full_dir(root) / manifest.file, target, key)
    if digest != manifest.sha256:
        target.unlink(missing_ok=True)
        raise RestoreRefusedError(f"备份与清单不符 / backup {manifest.id} does not match")
    return target
