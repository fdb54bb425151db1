"""Backup use cases (OPS-4), one path for the CLI and the 02:00 job: run (back up, verify,
prune past retention, record), list, verify, restore to a time, and the restore drill."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine

from safegrid.bootstrap import Platform
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.secops.backup import sqlite as sqlite_backup
from safegrid.secops.backup import store
from safegrid.secops.backup.counts import row_counts
from safegrid.secops.backup.sealed import BackupCheckError, backup_key
from safegrid.secops.backup.settings import BackupSettings, backup_settings
from safegrid.secops.resilience_models import BackupRun, RestoreDrill
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.key_store import master_key


def _backend(platform: Platform) -> str:
    return "postgresql" if platform.engine.dialect.name == "postgresql" else "sqlite"


def _key(platform: Platform) -> bytes:
    return backup_key(master_key(platform.settings))


def do_run_backup(
    platform: Platform, actor: Actor, settings: BackupSettings | None = None
) -> store.Manifest:
    s = settings or backup_settings()
    if _backend(platform) == "postgresql":
        from safegrid.secops.backup import postgres

        manifest = postgres.run(platform.settings.database_url, s, _key(platform))
    else:
        manifest = sqlite_backup.run(
            platform.settings.database_url, s.dir, _key(platform), platform.settings.tmp_dir
        )
    removed = store.prune(s.dir, s.retention_days, clock.now())
    with platform.uow(actor) as uow:
        uow.session.add(
            BackupRun(
                backup_id=manifest.id,
                backend=manifest.backend,
                created_at=manifest.created,
                finished_at=manifest.finished,
                size=manifest.size,
                verified_at=datetime.fromisoformat(manifest.verified_at)
                if manifest.verified_at
                else None,
            )
        )
        uow.audit("backup.run", object_type="backup", object_id=manifest.id,
                  after={"size": manifest.size, "verified": manifest.verified_at,
                         "pruned": removed[:20]})  # fmt: skip
        uow.commit()
    return manifest


def do_verify_backup(
    platform: Platform, actor: Actor, backup_id: str, settings: BackupSettings | None = None
) -> store.Manifest:
    s = settings or backup_settings()
    try:
        manifest = store.find(s.dir, backup_id)
    except LookupError as exc:
        raise NotFoundError(str(exc), field="backup_id") from None
    try:
        verified = store.verify(s.dir, manifest, _key(platform), clock.now())
    except BackupCheckError as exc:
        _log(platform, actor, "backup.verify_failed", backup_id, str(exc))
        raise
    _log(platform, actor, "backup.verified", backup_id, "ok")
    return verified


def _log(platform: Platform, actor: Actor, action: str, backup_id: str, note: str) -> None:
    with platform.uow(actor) as uow:
        uow.audit(action, object_type="backup", object_id=backup_id, note=note[:200])
        uow.commit()


def choose(manifests: list[store.Manifest], to: datetime | None) -> store.Manifest:
    """The newest verified backup that finished before ``to`` (now when None)."""
    fits = [m for m in manifests if m.verified_at and (to is None or m.finished <= to)]
    if not fits:
        raise NotFoundError("没有早于该时间的已校验备份 / no verified backup before that time",
                            field="to")  # fmt: skip
    return fits[-1]


@dataclasses.dataclass(frozen=True)
class Restored:
    manifest: store.Manifest
    target: str
    url: str


def do_restore(
    platform: Platform, actor: Actor, target: Path, to: datetime | None = None,
    settings: BackupSettings | None = None,
) -> Restored:  # fmt: skip
    """Restores into ``target`` (a new file for SQLite, a new data directory for
    PostgreSQL, which then replays archived WAL up to ``to``). Never onto the live one."""
    s = settings or backup_settings()
    manifest = choose(store.load_all(s.dir), to)
    try:
        if _backend(platform) == "postgresql":
            from safegrid.secops.backup import postgres

            url = postgres.restore(s, manifest, _key(platform), target, to,
                                   platform.settings.database_url)  # fmt: skip
        else:
            live = sqlite_backup.database_path(platform.settings.database_url)
            path = sqlite_backup.restore(s.dir, manifest, _key(platform), target, live)
            url = f"sqlite:///{path}"
    except (sqlite_backup.RestoreRefusedError, BackupCheckError) as exc:
        _log(platform, actor, "backup.restore_refused", manifest.id, str(exc))
        raise ConflictError(str(exc), field="target") from None
    _log(platform, actor, "backup.restored", manifest.id, f"to {target}")
    return Restored(manifest, str(target), url)


@dataclasses.dataclass(frozen=True)
class DrillResult:
    backup_id: str
    rto_seconds: float
    chain_ok: bool
    chain_checked: int
    counts_ok: bool
    counts: dict[str, int]


def do_restore_drill(
    platform: Platform, actor: Actor, to: datetime | None = None,
    settings: BackupSettings | None = None,
) -> DrillResult:  # fmt: skip
    """Restore into scratch, verify the audit chain and the row counts, time the whole."""
    s = settings or backup_settings()
    started_at = clock.now()
    started = time.perf_counter()
    platform.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=platform.settings.tmp_dir) as tmp:
        if _backend(platform) == "postgresql":
            Path(tmp).chmod(0o755)  # the server's OS user must reach its data directory
        target = Path(tmp) / ("restored" if _backend(platform) == "postgresql" else "r.db")
        restored = do_restore(platform, actor, target, to, s)
        try:
            engine = create_engine(restored.url)
            try:
                with engine.connect() as conn:
                    chain = audit.verify(conn, workers=1)
                    counts = row_counts(conn)
            finally:
                engine.dispose()
        finally:
            if _backend(platform) == "postgresql":
                from safegrid.secops.backup import postgres

                postgres.stop_scratch(target, s)
        rto = time.perf_counter() - started
    expected = restored.manifest.counts
    # A point-in-time restore past the backup holds at least the backup's rows.
    counts_ok = all(counts.get(t, 0) >= n for t, n in expected.items()) and (
        to is not None or counts == expected or _backend(platform) == "postgresql"
    )
    result = DrillResult(restored.manifest.id, rto, chain.ok, chain.checked, counts_ok, counts)
    with platform.uow(actor) as uow:
        uow.session.add(
            RestoreDrill(
                backup_id=result.backup_id,
                target_time=to,
                started_at=started_at,
                rto_seconds=Decimal(f"{rto:.2f}"),
                chain_ok=chain.ok,
                counts_ok=counts_ok,
                counts=counts,
                note=(chain.reason or "chain intact")[:500],
            )
        )
        uow.audit("backup.restore_drill", object_type="backup", object_id=result.backup_id,
                  after={"rto_seconds": round(rto, 2), "chain_ok": chain.ok,
                         "counts_ok": counts_ok})  # fmt: skip
        uow.commit()
    return result
