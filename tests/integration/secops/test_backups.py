"""OPS-4 on the test database's backend: a backup is encrypted (no plaintext SQL page in
the file), verified after writing and listed; a restore drill restores into scratch,
verifies the audit chain and the row counts and records the RTO; a tampered backup and a
restore onto the live database are refused with a clear error, and logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.platform.errors import ConflictError
from safegrid.secops.backup import service, store
from safegrid.secops.backup.sealed import BackupCheckError
from safegrid.secops.backup.settings import BackupSettings
from safegrid.secops.resilience_models import RestoreDrill
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry
from tests.fixtures.world import World

ACTOR = Actor.system("tests", "cli")


@pytest.fixture
def backups(tmp_path: Path, platform: Platform) -> BackupSettings:
    if platform.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL backups need a WAL-archiving cluster: test_backups_postgres")
    return BackupSettings(dir=tmp_path / "backups")


def _logged(platform: Platform, action: str) -> int:
    with platform.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


def test_ops_4_backup_is_encrypted_verified_and_drilled(
    world: World, backups: BackupSettings
) -> None:
    p = world.platform
    m = service.do_run_backup(p, ACTOR, backups)
    assert m.verified_at is not None
    assert [x.id for x in store.load_all(backups.dir)] == [m.id]
    raw = (backups.dir / "full" / m.file).read_bytes()
    assert b"SQLite format 3" not in raw and b"staff_accounts" not in raw
    assert m.counts["org_units"] == len(world.units)
    drill = service.do_restore_drill(p, ACTOR, settings=backups)
    assert drill.chain_ok and drill.counts_ok
    assert drill.counts["org_units"] == len(world.units)
    assert 0 < drill.rto_seconds < 4 * 3600
    with p.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RestoreDrill)) == 1


def test_ops_4_a_tampered_backup_fails_its_check(world: World, backups: BackupSettings) -> None:
    p = world.platform
    m = service.do_run_backup(p, ACTOR, backups)
    path = backups.dir / "full" / m.file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(BackupCheckError, match="fails its check"):
        service.do_verify_backup(p, ACTOR, m.id, backups)
    assert _logged(p, "backup.verify_failed") == 1
    with pytest.raises(ConflictError, match="fails its check"):
        service.do_restore(p, ACTOR, backups.dir / "r.db", settings=backups)
    assert not (backups.dir / "r.db").exists()
    assert not (backups.dir / "r.db.partial").exists()


def test_ops_4_restore_onto_the_live_database_is_refused(
    world: World, backups: BackupSettings
) -> None:
    p = world.platform
    service.do_run_backup(p, ACTOR, backups)
    live = Path(p.settings.database_url.split("///", 1)[1])
    with pytest.raises(ConflictError, match="live database"):
        service.do_restore(p, ACTOR, live, settings=backups)
    assert _logged(p, "backup.restore_refused") == 1
