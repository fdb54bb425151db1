"""DATA-6: temporary caches are purged hourly — expired sessions and challenges, old
rate-limit events, temporary and staging files older than one hour; one audit entry."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.platform import clock, jobs
from safegrid.platform.cache_purge import do_purge_caches, purge_files
from safegrid.platform.job_runs import RunStatus
from safegrid.security.models import AuditEntry, AuthSession
from safegrid.security.policy import Post
from tests.fixtures.world import World

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def _touch(path: Path, age: timedelta, content: bytes = b"x" * 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_data_6_files_older_than_an_hour_go_newer_stay(tmp_path: Path) -> None:
    old = _touch(tmp_path / "upload-1.csv", timedelta(hours=2))
    fresh = _touch(tmp_path / "upload-2.csv", timedelta(minutes=10))
    stale_dir = tmp_path / "export-7"
    _touch(stale_dir / "part.xlsx", timedelta(hours=3))
    busy_dir = tmp_path / "export-8"
    _touch(busy_dir / "old.part", timedelta(hours=3))
    _touch(busy_dir / "new.part", timedelta(minutes=1))  # still being written
    os.utime(stale_dir, ((NOW - timedelta(hours=3)).timestamp(),) * 2)
    os.utime(busy_dir, ((NOW - timedelta(hours=3)).timestamp(),) * 2)
    count, size = purge_files(tmp_path, NOW - timedelta(hours=1))
    assert (count, size) == (2, 20)
    assert not old.exists() and not stale_dir.exists()
    assert fresh.exists() and busy_dir.exists()


def test_data_6_purge_job_clears_expired_rows_and_files_with_one_audit_entry(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set_clock(clock.FixedClock(NOW - timedelta(hours=20)))
    staff = world.staff(Post.HALL_AGENT, "hallA")
    world.token(staff)  # expires an hour after creation: long expired at NOW
    clock.set_clock(clock.FixedClock(NOW - timedelta(minutes=30)))
    world.token(staff)  # still valid at NOW
    clock.set_clock(clock.FixedClock(NOW))
    tmp_dir, ami_dir = tmp_path / "tmp", tmp_path / "ami"
    _touch(tmp_dir / "import.xlsx", timedelta(hours=2))
    _touch(tmp_dir / "export.csv", timedelta(minutes=5))
    _touch(ami_dir / "batch-00000001.parquet.tmp", timedelta(hours=5))
    kept_batch = _touch(ami_dir / "batch-00000001.parquet", timedelta(days=30))
    monkeypatch.setattr(world.platform.settings, "tmp_dir", tmp_dir)
    monkeypatch.setattr(world.platform.settings, "ami_dir", ami_dir)

    run = jobs.run_job(world.platform, "platform.cache_purge")
    assert run.status == RunStatus.SUCCEEDED, run.error
    with world.platform.uow(world.system(), readonly=True) as uow:
        sessions = uow.session.scalar(select(func.count()).select_from(AuthSession))
        (entry,) = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "cache.purged")
        ).all()
    assert sessions == 1
    assert entry.after is not None
    assert entry.after["auth_sessions"] == 1
    assert entry.after["files"] == 2
    assert entry.actor_name == "system:platform.cache_purge"
    assert sorted(p.name for p in tmp_dir.iterdir()) == ["export.csv"]
    assert sorted(p.name for p in ami_dir.iterdir()) == [kept_batch.name]


def test_data_6_nothing_to_purge_is_still_recorded(world: World, tmp_path: Path) -> None:
    result = do_purge_caches(world.platform.uow(world.system()), [(tmp_path / "none", "*")])
    assert result.files == 0
    assert result.rows["auth_sessions"] == 0
