"""OPS-4 / AUD-4: backups are kept 30 days — older ones are pruned, but never the newest
verified one (a quiet month must not leave nothing to restore); a sealed file opens only
with its key and refuses any altered byte."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from safegrid.secops.backup import store
from safegrid.secops.backup.sealed import BackupCheckError, backup_key, open_sealed, seal

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _backup(root: Path, age_days: int, *, verified: bool = True) -> store.Manifest:
    at = NOW - timedelta(days=age_days)
    m = store.Manifest(id=store.new_id("sqlite", at), backend="sqlite",
                       created_at=at.isoformat(), finished_at=at.isoformat(),
                       file=f"{age_days}.sgbk", size=1, sha256="x", counts={},
                       verified_at=at.isoformat() if verified else None)  # fmt: skip
    (store.full_dir(root) / m.file).write_bytes(b"x")
    store.save(root, m)
    return m


def test_ops_4_aud_4_retention_keeps_30_days_and_the_newest_verified(tmp_path: Path) -> None:
    for age in (45, 31, 29, 1):
        _backup(tmp_path, age)
    old_wal = store.wal_dir(tmp_path) / "000000010000000000000001.sgbk"
    old_wal.write_bytes(b"w")
    os.utime(old_wal, (0, 0))
    removed = store.prune(tmp_path, 30, NOW)
    kept = [m.file for m in store.load_all(tmp_path)]
    assert kept == ["29.sgbk", "1.sgbk"]
    assert old_wal.name in removed and not old_wal.exists()
    only = tmp_path / "only"
    _backup(only, 90)
    store.prune(only, 30, NOW)
    assert [m.file for m in store.load_all(only)] == ["90.sgbk"]


def test_ops_4_sealed_file_needs_its_key_and_every_byte(tmp_path: Path) -> None:
    plain = tmp_path / "p.bin"
    plain.write_bytes(os.urandom(3000) + b"customer rows" * 1000)
    key = backup_key(b"k" * 16)
    digest = seal(plain, tmp_path / "s.sgbk", key)
    assert open_sealed(tmp_path / "s.sgbk", tmp_path / "out.bin", key) == digest
    assert (tmp_path / "out.bin").read_bytes() == plain.read_bytes()
    with pytest.raises(BackupCheckError):
        open_sealed(tmp_path / "s.sgbk", None, backup_key(b"j" * 16))
    raw = bytearray((tmp_path / "s.sgbk").read_bytes())
    raw[10] ^= 1  # inside the nonce, authenticated as associated data
    (tmp_path / "t.sgbk").write_bytes(bytes(raw))
    with pytest.raises(BackupCheckError):
        open_sealed(tmp_path / "t.sgbk", tmp_path / "never.bin", key)
    assert not (tmp_path / "never.bin").exists()
