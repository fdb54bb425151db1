"""The backup directory: ``full/<id>.sgbk`` with a plaintext manifest ``full/<id>.json``
beside it (no secrets: what, when, sizes, the plaintext's SHA-256, row counts) and, for
PostgreSQL, ``wal/<segment>.sgbk``. The directory is the record of what exists — a
restore must work when the database that would list the backups is gone."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from safegrid.secops.backup.sealed import BackupCheckError, open_sealed


@dataclasses.dataclass
class Manifest:
    id: str
    backend: str  # sqlite | postgresql
    created_at: str  # ISO, UTC: a restore of this backup holds everything committed before
    finished_at: str
    file: str
    size: int
    sha256: str  # of the plaintext
    counts: dict[str, int]
    verified_at: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    @property
    def finished(self) -> datetime:
        return datetime.fromisoformat(self.finished_at)


def full_dir(root: Path) -> Path:
    path = root / "full"
    path.mkdir(parents=True, exist_ok=True)
    return path


def wal_dir(root: Path) -> Path:
    path = root / "wal"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_id(backend: str, at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{backend}"


def save(root: Path, manifest: Manifest) -> None:
    path = full_dir(root) / f"{manifest.id}.json"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(dataclasses.asdict(manifest), indent=1, sort_keys=True))
    partial.replace(path)


def load_all(root: Path) -> list[Manifest]:
    found = []
    for path in sorted(full_dir(root).glob("*.json")):
        found.append(Manifest(**json.loads(path.read_text())))
    return sorted(found, key=lambda m: m.created_at)


def find(root: Path, backup_id: str) -> Manifest:
    for m in load_all(root):
        if m.id == backup_id:
            return m
    raise LookupError(f"没有这个备份 / no backup {backup_id!r}")


def verify(root: Path, manifest: Manifest, key: bytes, now: datetime) -> Manifest:
    """Decrypt (to nowhere) and compare the plaintext's digest; records the time."""
    got = open_sealed(full_dir(root) / manifest.file, None, key)
    if got != manifest.sha256:
        raise BackupCheckError(
            f"备份内容与清单不符 / backup {manifest.id} does not match its manifest"
        )
    manifest.verified_at = now.isoformat()
    save(root, manifest)
    return manifest


def prune(root: Path, keep_days: int, now: datetime) -> list[str]:
    """Deletes full backups older than ``keep_days`` (never the newest verified one) and
    archived WAL older than the oldest full backup kept."""
    manifests = load_all(root)
    cutoff = now - timedelta(days=keep_days)
    verified = [m for m in manifests if m.verified_at]
    newest = verified[-1].id if verified else None
    removed = []
    for m in manifests:
        if m.created < cutoff and m.id != newest:
            (full_dir(root) / m.file).unlink(missing_ok=True)
            (full_dir(root) / f"{m.id}.json").unlink(missing_ok=True)
            removed.append(m.id)
    kept = [m for m in manifests if m.id not in removed]
    if kept:
        oldest = min(m.created for m in kept).timestamp()
        for seg in wal_dir(root).glob("*.sgbk"):
            if seg.stat().st_mtime < oldest - 3600:  # an hour of margin for the start WAL
                seg.unlink(missing_ok=True)
                removed.append(seg.name)
    return removed
