"""Audit retention (AUD-4: audit records kept three years; ADR 0007).

Entries older than the retention period (``SAFEGRID_AUDIT_RETENTION_YEARS``, never less
than three) are written to a signed archive file, then deleted, and an anchor row records
the last deleted entry's seq and hash, so verification continues from the anchor. The
anchor is itself recorded by an ``audit.pruned`` entry in the kept chain, so it cannot be
forged or moved without breaking the chain. Only a leading run of entries that are all
older than the cutoff is pruned — never a younger entry — and only after that run was
verified: a broken chain is never archived away.

The archive is JSON lines: a header, one ``[seq, prev_hash, hash, body]`` line per entry,
and a last line with an HMAC-SM3 over everything before it (key derived from the
platform secret). :func:`verify_archive` re-checks the signature and the chain inside.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, delete, func, select

from safegrid.platform import clock, jobs
from safegrid.platform.errors import ConflictError, SafeGridError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security import audit_worker
from safegrid.security.actor import Actor
from safegrid.security.audit import GENESIS, chain_hash_text
from safegrid.security.audit_verify import _index_sql, _links_sql
from safegrid.security.models import AuditAnchor, AuditEntry, AuditHead

if TYPE_CHECKING:
    from safegrid.bootstrap import Platform

MIN_YEARS: Final = 3
FORMAT: Final = "safegrid-audit-archive/1"


class ArchiveError(SafeGridError):
    status_code = 422


@dataclasses.dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    pruned: int = 0
    through_seq: int | None = None
    archive: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "pruned": self.pruned,
            "through_seq": self.through_seq,
            "archive": self.archive,
        }


def cutoff_for(now: datetime, years: int) -> datetime:
    """The same instant ``years`` earlier (29 February → 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def archive_key(secret: str) -> bytes:
    return hashlib.new("sm3", b"safegrid-audit-archive\0" + secret.encode()).digest()


def _anchor(conn: Connection) -> tuple[int, str]:
    a = AuditAnchor.__table__.c
    row = conn.execute(select(a.seq, a.hash).order_by(a.seq.desc()).limit(1)).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def _write_archive(
    conn: Connection, path: Path, lo: int, hi: int, prev: str, cutoff: datetime, key: bytes
) -> tuple[str, str]:
    """Stream entries lo..hi to ``path``; returns (SM3 of the signed content, last hash)."""
    digest = hashlib.new("sm3")
    mac = hmac.new(key, digestmod="sm3")
    last = prev
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as out:

        def put(line: bytes) -> None:
            digest.update(line)
            mac.update(line)
            out.write(line)

        header = {"format": FORMAT, "first_seq": lo, "last_seq": hi, "prev_hash": prev}
        put(json.dumps({**header, "cutoff": cutoff.isoformat()}).encode() + b"\n")
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for seq, prev_hash, hashed, body in audit_worker.links(
                cursor, _links_sql(conn), lo, hi
            ):
                text = bytes(body).decode()
                put(json.dumps([seq, prev_hash, hashed, text], ensure_ascii=False).encode() + b"\n")
                last = hashed
        finally:
            cursor.close()
        out.write(json.dumps({"hmac_sm3": mac.hexdigest()}).encode() + b"\n")
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    return digest.hexdigest(), last


def do_archive_and_prune(
    uow: UnitOfWork, archive_dir: Path, years: int, secret: str
) -> RetentionResult:
    if years < MIN_YEARS:
        raise ValidationProblem(
            f"audit records are kept at least {MIN_YEARS} years (AUD-4)", field="years"
        )
    now = clock.now()
    cutoff = cutoff_for(now, years)
    with uow:
        conn = uow.session.connection()
        after, prev = _anchor(conn)
        e = AuditEntry.__table__.c
        first_young = conn.execute(
            select(func.min(e.seq)).where(e.seq > after, e.at >= cutoff)
        ).scalar()
        head = int(conn.execute(select(AuditHead.seq)).scalar() or 0)
        through = head if first_young is None else int(first_young) - 1
        if through <= after:
            return RetentionResult(cutoff)
        lo = after + 1
        checked, broken, reason = audit_worker.check(
            conn.connection.dbapi_connection.cursor(),  # type: ignore[union-attr]
            _index_sql(conn, lo, through),
            _links_sql(conn),
            lo,
            through,
            prev,
        )
        if broken is not None:
            raise ConflictError(
                f"audit chain broken at entry {broken} ({reason}); nothing was pruned",
                field="audit_chain",
            )
        archive_dir.mkdir(parents=True, exist_ok=True)
        name = f"audit-{lo:012d}-{through:012d}.jsonl"
        digest, last_hash = _write_archive(
            conn, archive_dir / name, lo, through, prev, cutoff, archive_key(secret)
        )
        conn.execute(delete(AuditEntry).where(AuditEntry.seq >= lo, AuditEntry.seq <= through))
        uow.session.add(
            AuditAnchor(
                seq=through,
                hash=last_hash,
                first_seq=lo,
                entries=checked,
                cutoff=cutoff,
                archive=name,
                archive_digest=digest,
                created_at=now,
            )
        )
        uow.audit(
            "audit.pruned",
            object_type="audit_chain",
            after={
                "anchor_seq": through,
                "anchor_hash": last_hash,
                "first_seq": lo,
                "entries": checked,
                "cutoff": cutoff.isoformat(),
                "archive": name,
                "archive_digest": digest,
            },
        )
        uow.commit()
    return RetentionResult(cutoff, checked, through, name)


def verify_archive(path: Path, secret: str) -> tuple[int, int, int]:
    """(entries, first seq, last seq) of an intact archive; ArchiveError naming the problem
    otherwise (bad signature, broken link, or an entry whose content does not match)."""
    lines = path.read_bytes().splitlines(keepends=True)
    if len(lines) < 2:
        raise ArchiveError("not an audit archive", field="file")
    content, sig_line = b"".join(lines[:-1]), lines[-1]
    try:
        signature = json.loads(sig_line)["hmac_sm3"]
        header = json.loads(lines[0])
    except (ValueError, KeyError, TypeError):
        raise ArchiveError("not an audit archive", field="file") from None
    expected = hmac.new(archive_key(secret), content, digestmod="sm3").hexdigest()
    if header.get("format") != FORMAT or not hmac.compare_digest(expected, str(signature)):
        raise ArchiveError("archive signature does not match: the file was altered", field="file")
    prev, seq = header["prev_hash"], header["first_seq"] - 1
    for line in lines[1:-1]:
        n, prev_hash, hashed, body = json.loads(line)
        if n != seq + 1 or prev_hash != prev or chain_hash_text(prev, body) != hashed:
            raise ArchiveError(f"archived entry {seq + 1} does not verify", field="file")
        prev, seq = hashed, n
    if seq != header["last_seq"]:
        raise ArchiveError("archive is incomplete", field="file")
    return seq - header["first_seq"] + 1, header["first_seq"], seq


def run_audit_retention(platform: Platform, actor: Actor) -> dict[str, Any]:
    """Archive and prune audit entries past retention (AUD-4)."""
    s = platform.settings
    return do_archive_and_prune(
        platform.uow(actor), s.audit_archive_dir, s.audit_retention_years, s.secret_key
    ).summary()


jobs.register(
    "security.audit_retention",
    "0 3 1 * *",
    run_audit_retention,
    "Archive audit entries older than the retention period (≥ 3 years) to a signed file "
    "and prune them behind a verified anchor (AUD-4)",
)
