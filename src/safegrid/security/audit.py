"""The tamper-evident audit chain (AUD-1, AUD-2).

Each entry's hash is SM3 over the previous hash and the entry's canonical JSON. The
chain tip lives in ``audit_head``; a writer updates that row first, which takes the
write lock on every backend, so concurrent transactions append in a single order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.orm import Session

from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry, AuditHead
from safegrid.security.scope import SKIP_SCOPE

GENESIS = "0" * 64
HEAD_ID = 1


def _sm3() -> Any:
    return hashlib.new("sm3")


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    h = _sm3()
    h.update(prev_hash.encode())
    h.update(canonical(body))
    return str(h.hexdigest())


def _body(
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_name: str,
    channel: str,
    ip: str | None,
    action: str,
    object_type: str,
    object_id: str | None,
    org_unit_id: int | None,
    before: Any,
    after: Any,
    note: str | None,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "channel": channel,
        "ip": ip,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "org_unit_id": org_unit_id,
        "before": before,
        "after": after,
        "note": note,
    }


def ensure_head(conn: Connection) -> None:
    exists = conn.execute(select(AuditHead.id).where(AuditHead.id == HEAD_ID)).first()
    if exists is None:
        conn.execute(insert(AuditHead).values(id=HEAD_ID, seq=0, last_hash=GENESIS))


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: object | None = None,
    org_unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction. ``before``/``after`` must already be
    masked snapshots (see :func:`safegrid.security.masking.snapshot`)."""
    session.flush()
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash),
        execution_options={SKIP_SCOPE: True},
    ).one()
    seq, prev_hash = int(row[0]), str(row[1])
    at = clock.now()
    body = _body(
        seq,
        at,
        actor.account_id,
        actor.username,
        actor.channel,
        actor.ip,
        action,
        object_type,
        None if object_id is None else str(object_id),
        org_unit_id,
        before,
        after,
        note,
    )
    digest = chain_hash(prev_hash, body)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=actor.account_id,
        actor_name=actor.username,
        channel=actor.channel,
        ip=actor.ip,
        action=action,
        object_type=object_type,
        object_id=body["object_id"],
        org_unit_id=org_unit_id,
        before=before,
        after=after,
        note=note,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=digest),
        execution_options={SKIP_SCOPE: True},
    )
    return entry


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    checked: int
    ok: bool
    broken_seq: int | None = None
    reason: str | None = None


def _rows(conn: Connection, batch: int = 5000) -> Iterator[Any]:
    cols = (
        "seq, at, actor_id, actor_name, channel, ip, action, object_type, object_id, "
        "org_unit_id, before, after, note, prev_hash, hash"
    )
    last = 0
    while True:
        rows = conn.execute(
            text(f"SELECT {cols} FROM audit_entries WHERE seq > :last ORDER BY seq LIMIT :n"),  # noqa: S608
            {"last": last, "n": batch},
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _as_utc(value: Any) -> datetime:
    at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def verify(conn: Connection) -> VerifyResult:
    """Walk the whole chain; name the first entry whose link or content does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for r in _rows(conn):
        seq = int(r[0])
        if seq != expected_seq:
            return VerifyResult(checked, False, expected_seq, f"entry {expected_seq} is missing")
        if r[13] != prev:
            return VerifyResult(checked, False, seq, "prev_hash does not match the previous entry")
        body = _body(
            seq,
            _as_utc(r[1]),
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            _json(r[10]),
            _json(r[11]),
            r[12],
        )
        if chain_hash(prev, body) != r[14]:
            return VerifyResult(checked, False, seq, "content does not match its hash")
        prev = r[14]
        expected_seq += 1
        checked += 1
    head = conn.execute(select(AuditHead.seq, AuditHead.last_hash)).first()
    if head is not None and (int(head[0]) != checked or head[1] != prev):
        return VerifyResult(checked, False, checked + 1, "entries after the last one were removed")
    return VerifyResult(checked, True)


def list_entries(session: Session, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
    """Newest first; the session's scope limits auditors to their own subtree's objects."""
    from sqlalchemy import func

    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    items = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq.desc()).offset(offset).limit(limit)
    ).all()
    return list(items), total
