"""OPS-4 on PostgreSQL: a WAL-archiving primary (its own throwaway cluster), a base backup,
then two changes a second apart; a restore to the time between them holds the first and
not the second (point-in-time recovery). Runs in the PostgreSQL stage only (it starts two
clusters); the PostgreSQL restore drill with its RTO is benchmarks/restore_drill.py."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.secops.backup import pgcluster, postgres, service, wal
from safegrid.secops.backup.settings import BackupSettings
from safegrid.security.actor import Actor

ACTOR = Actor.system("tests", "cli")


@pytest.fixture
def archiving(platform: Platform) -> Iterator[tuple[Platform, BackupSettings, Path]]:
    if platform.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    root = Path(tempfile.mkdtemp(prefix="sg-pitr-", dir="/tmp"))
    root.chmod(0o755)  # the server runs as its own OS user
    settings = BackupSettings(dir=root / "backups")
    settings.dir.mkdir()
    wal.spool_dir(settings.dir)
    pgcluster.hand_over(root)
    bin_dir = pgcluster.pg_bin()
    primary = root / "primary"
    port = pgcluster.archiving_primary(bin_dir, primary, wal.archive_command(settings.dir))
    try:
        pgcluster.run(bin_dir, "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "safegrid",
                      "sg")  # fmt: skip
        url = f"postgresql+psycopg://safegrid@127.0.0.1:{port}/sg"
        live = Platform(Settings(env="dev", database_url=url, scheduler_enabled=False,
                                 tmp_dir=root / "tmp"))  # fmt: skip
        live.migrate()
        yield live, settings, root
        live.engine.dispose()
    finally:
        pgcluster.stop(bin_dir, primary)
        shutil.rmtree(root, ignore_errors=True)


def _unit(p: Platform, code: str) -> None:
    with p.uow(ACTOR) as uow:
        unit = OrgUnit(code=code, name=code, name_en=code, kind=UnitKind.PROVINCE,
                       parent_id=None, path=f"/{code}/")  # fmt: skip
        uow.session.add(unit)
        uow.audit("org.create", object_type="org_unit", object_id=code)
        uow.commit()


def test_ops_4_point_in_time_restore_and_drill(
    archiving: tuple[Platform, BackupSettings, Path],
) -> None:
    live, settings, root = archiving
    m = service.do_run_backup(live, ACTOR, settings)
    assert m.backend == "postgresql" and m.verified_at
    _unit(live, "before")
    time.sleep(1.2)
    between = clock.now()
    time.sleep(1.2)
    _unit(live, "after")
    restored = service.do_restore(live, ACTOR, root / "pitr", between, settings)
    from sqlalchemy import create_engine

    engine = create_engine(restored.url)
    try:
        with engine.connect() as conn:
            codes = set(conn.scalars(select(OrgUnit.code)))
            assert conn.scalar(text("SELECT pg_is_in_recovery()")) is False
    finally:
        engine.dispose()
        postgres.stop_scratch(root / "pitr", settings)
    assert codes == {"before"}
