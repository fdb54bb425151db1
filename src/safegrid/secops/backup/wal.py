"""Archived WAL, sealed like the backups. The server's ``archive_command`` only copies a
finished segment into the spool (PostgreSQL's documented ``test ! -f … && cp …``: no
Python in the server's path, nothing for it to decrypt); :func:`seal_spool` — run every
minute by the ``secops.wal_seal`` job and before every backup and restore — seals each
spooled segment into ``wal/`` and deletes the plain copy. A restore opens the sealed
segments into the new data directory, where ``restore_command`` copies them from.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from safegrid.secops.backup import store
from safegrid.secops.backup.sealed import open_sealed, seal


def spool_dir(root: Path) -> Path:
    path = root / "wal-spool"
    path.mkdir(parents=True, exist_ok=True)
    return path


def archive_command(root: Path) -> str:
    spool = shlex.quote(str(spool_dir(root)))
    return f"test ! -f {spool}/%f && cp %p {spool}/%f"


def seal_spool(root: Path, key: bytes) -> int:
    """Seal every spooled segment not sealed yet; returns how many were sealed."""
    sealed = 0
    for segment in sorted(spool_dir(root).iterdir()):
        if segment.name.endswith(".partial") or not segment.is_file():
            continue
        target = store.wal_dir(root) / f"{segment.name}.sgbk"
        if not target.exists():
            seal(segment, target, key)
            sealed += 1
        segment.unlink()
    return sealed


def open_all(root: Path, key: bytes, into: Path) -> int:
    into.mkdir(parents=True, exist_ok=True)
    count = 0
    for source in sorted(store.wal_dir(root).glob("*.sgbk")):
        open_sealed(source, into / source.name.removesuffix(".sgbk"), key)
        count += 1
    return count
