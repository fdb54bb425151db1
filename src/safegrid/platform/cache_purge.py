"""Hourly purge of temporary caches (DATA-6).

What counts as a temporary cache — data kept only to serve a short-lived purpose, which
must not linger where a copied disk or database would reveal it:

- rows: expired sign-in sessions and API tokens (``auth_sessions`` past ``expires_at``),
  expired new-location login challenges (``login_challenges``), rate-limit events older
  than the limit's one-hour window (``rate_events``), expired customer-portal sessions and
  sign-in codes (``portal_sessions``, ``portal_sign_in_codes``);
- files older than one hour: everything under ``Settings.tmp_dir`` (uploads being parsed,
  exports being built) and ``export_dir`` when configured, unfinished AMI batch files
  (``*.tmp`` in ``Settings.ami_dir``) and AMI upload staging directories a crashed import
  left in the system temp directory (``safegrid-ami-*``).

Kept on purpose: revoked-but-unexpired sessions (the owner's session list shows them),
audit entries, access logs and AMI batch files (their own retention rules apply). A
domain with another cache adds an :class:`ExpiredRows` to :data:`EXPIRED_ROWS`.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete

from safegrid.platform import clock, jobs
from safegrid.platform.db import Base
from safegrid.platform.uow import UnitOfWork

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform
    from safegrid.security.actor import Actor

FILE_MAX_AGE: Final = timedelta(hours=1)
AMI_STAGING_PREFIX: Final = "safegrid-ami-"


@dataclasses.dataclass(frozen=True)
class ExpiredRows:
    table: str
    column: str  # a timestamp column
    grace: timedelta = timedelta(0)  # rows are expired once column < now - grace


EXPIRED_ROWS: Final[tuple[ExpiredRows, ...]] = (
    ExpiredRows("auth_sessions", "expires_at"),
    ExpiredRows("login_challenges", "expires_at"),
    ExpiredRows("rate_events", "at", timedelta(hours=1)),
    # The customer portal's sessions and SMS sign-in codes (HALL-6).
    ExpiredRows("portal_sessions", "expires_at"),
    ExpiredRows("portal_sign_in_codes", "expires_at"),
)


@dataclasses.dataclass
class PurgeResult:
    rows: dict[str, int]
    files: int
    bytes: int

    def summary(self) -> dict[str, int]:
        return {**self.rows, "files": self.files, "bytes": self.bytes}


def _age_stamp(path: Path) -> float:
    """Newest modification time of a file or anything inside a directory."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for inner in path.rglob("*"):
            newest = max(newest, inner.lstat().st_mtime)
    return newest


def _size(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())
    return path.lstat().st_size


def purge_files(directory: Path, cutoff: datetime, pattern: str = "*") -> tuple[int, int]:
    """Delete top-level entries of ``directory`` matching ``pattern`` that nothing has
    touched since ``cutoff`` (a directory counts as touched when anything in it was).
    Symlinks are removed, never followed. Returns (entries, bytes)."""
    if not directory.is_dir():
        return 0, 0
    limit = cutoff.timestamp()
    count = size = 0
    for entry in directory.glob(pattern):
        try:
            if _age_stamp(entry) >= limit:
                continue
            size += _size(entry)
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            count += 1
        except FileNotFoundError:
            continue  # removed meanwhile by its owner
    return count, size


def file_targets(settings: object) -> list[tuple[Path, str]]:
    """(directory, glob) pairs holding temporary files, from the settings."""
    targets: list[tuple[Path, str]] = []
    for attr in ("tmp_dir", "export_dir"):
        d = getattr(settings, attr, None)
        if d:
            targets.append((Path(d), "*"))
    ami = getattr(settings, "ami_dir", None)
    if ami:
        targets.append((Path(ami), "*.tmp"))
    targets.append((Path(tempfile.gettempdir()), f"{AMI_STAGING_PREFIX}*"))
    return targets


def do_purge_caches(uow: UnitOfWork, targets: list[tuple[Path, str]]) -> PurgeResult:
    """Delete expired cache rows and stale temporary files; one audit entry with the counts
    (written even when nothing was found, so the hourly run is visible in the chain)."""
    now = clock.now()
    rows: dict[str, int] = {}
    with uow:
        for spec in EXPIRED_ROWS:
            table = Base.metadata.tables.get(spec.table)
            if table is None:
                continue
            result = uow.session.execute(
                delete(table).where(table.c[spec.column] < now - spec.grace)
            )
            rows[spec.table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        files = size = 0
        for directory, pattern in targets:
            n, b = purge_files(directory, now - FILE_MAX_AGE, pattern)
            files, size = files + n, size + b
        result_ = PurgeResult(rows, files, size)
        uow.audit("cache.purged", object_type="cache", after=result_.summary())
        uow.commit()
    return result_


def run_cache_purge(platform: Platform, actor: Actor) -> dict[str, int]:
    """Expired sessions, challenges and rate-limit events; temp files older than 1 hour."""
    targets = file_targets(platform.settings)
    return do_purge_caches(platform.uow(actor), targets).summary()


jobs.register(
    "platform.cache_purge",
    "5 * * * *",
    run_cache_purge,
    "Purge temporary caches: expired sessions, login challenges, rate-limit events, "
    "temporary and staging files older than one hour (DATA-6)",
)
