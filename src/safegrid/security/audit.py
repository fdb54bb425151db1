"""The tamper-evident audit chain (AUD-1, AUD-2).

Each entry's hash is SM3 over the previous hash and the entry's canonical JSON. The
chain tip lives in ``audit_head``; a writer updates that row first, which takes the
write lock on every backend, so concurrent transactions append in a single order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry, AuditHead
from safegrid.security.scope import unscoped

GENESIS = "0" * 64
HEAD_ID = 1
# session.info key: seq of the newest entry the session's transaction wrote (alerts link it).
LAST_SEQ = "safegrid_audit_last_seq"
_ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return chain_hash_text(prev_hash, canonical(body).decode())


def chain_hash_text(prev_hash: str, body_text: str) -> str:
    return hashlib.new("sm3", (prev_hash + body_text).encode()).hexdigest()


def entry_body(
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
    """The one definition of what an entry says: the dict whose canonical JSON is hashed."""
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


@dataclasses.dataclass
class PendingEntry:
    """An entry waiting to be chained: what it says, by whom, and the row object handed to
    the caller now and filled in (seq, time, body, hashes) when it is chained."""

    actor: Actor
    action: str
    object_type: str
    object_id: str | None
    org_unit_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
    row: AuditEntry

    @classmethod
    def of(
        cls,
        actor: Actor,
        action: str,
        *,
        object_type: str,
        object_id: object | None = None,
        org_unit_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> PendingEntry:
        oid = None if object_id is None else str(object_id)
        row = AuditEntry(
            actor_id=actor.account_id,
            actor_name=actor.username,
            channel=actor.channel,
            ip=actor.ip,
            action=action,
            object_type=object_type,
            object_id=oid,
            org_unit_id=org_unit_id,
        )
        return cls(actor, action, object_type, oid, org_unit_id, before, after, note, row)


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
    """Append one entry in the caller's transaction (a batch of one). ``before``/``after``
    must already be masked snapshots (see :func:`safegrid.security.masking.snapshot`)."""
    pending = PendingEntry.of(
        actor,
        action,
        object_type=object_type,
        object_id=object_id,
        org_unit_id=org_unit_id,
        before=before,
        after=after,
        note=note,
    )
    append_many(session, [pending])
    return pending.row


# Built once: every audited change runs these three, and building them anew (operators,
# coercions) cost about as much Python as executing them from the compiled cache.
_HEAD_ROW = unscoped("the chain head is one utility-wide row")
_ONE_CHAIN = unscoped("every unit's entries join the one chain")
# On the table, not the entity: the ORM's bulk-update path (session synchronisation, the
# entity's bookkeeping) cost several times the statement itself, twice per commit.
_HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
_TAKE_SEQS = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=_HEAD.c.seq + bindparam("n"))
    .returning(_HEAD.c.seq, _HEAD.c.last_hash)
)
_INSERT_ENTRIES = insert(_ENTRIES)
_SET_LAST_HASH = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_hash=bindparam("h"))


def append_many(session: Session, pending: Sequence[PendingEntry]) -> None:
    """Chain ``pending`` after the current head in the caller's transaction: one head
    update takes the chain's row lock (every backend) and numbers them all, one executemany
    writes them. Each ``row`` object is filled in; it is not added to the session."""
    if not pending:
        return
    session.flush()
    row = session.execute(_TAKE_SEQS, {"n": len(pending)}, execution_options=_HEAD_ROW).one()
    seq, prev_hash = int(row[0]) - len(pending), str(row[1])
    at = clock.now()
    rows: list[dict[str, Any]] = []
    for p in pending:
        seq += 1
        a = p.actor
        body = entry_body(
            seq,
            at,
            a.account_id,
            a.username,
            a.channel,
            a.ip,
            p.action,
            p.object_type,
            p.object_id,
            p.org_unit_id,
            p.before,
            p.after,
            p.note,
        )
        text_body = canonical(body).decode()
        digest = chain_hash_text(prev_hash, text_body)
        e = p.row
        e.seq, e.at, e.body, e.prev_hash, e.hash = seq, at, text_body, prev_hash, digest
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor_id": a.account_id,
                "actor_name": a.username,
                "channel": a.channel,
                "ip": a.ip,
                "action": p.action,
                "object_type": p.object_type,
                "object_id": p.object_id,
                "org_unit_id": p.org_unit_id,
                "body": text_body,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    # One Core executemany: an ORM flush of a batch's entries cost more in Python (unit of
    # work bookkeeping per object) than the database spent on the rows.
    session.execute(_INSERT_ENTRIES, rows, execution_options=_ONE_CHAIN)
    session.info[LAST_SEQ] = seq
    session.execute(_SET_LAST_HASH, {"h": prev_hash}, execution_options=_HEAD_ROW)


class ChainWriter:
    """The unit of work's :class:`~safegrid.platform.uow.AuditWriter`: each entry is
    appended to the chain when it is recorded (``safegrid.bootstrap`` wires it)."""

    record = staticmethod(record)


CHAIN = ChainWriter()


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    checked: int
    ok: bool
    broken_seq: int | None = None
    reason: str | None = None


def verify(conn: Connection, workers: int | None = None) -> VerifyResult:
    """Check every link (re-hashing the stored bodies) and that every entry's index columns
    match its body; name the first entry where either fails. The fast path (two processes,
    raw cursor) lives in :mod:`safegrid.security.audit_verify`."""
    from safegrid.security.audit_verify import verify_chain

    return verify_chain(conn, workers)


def list_entries(
    session: Session, offset: int, limit: int, where: Sequence[Any] = ()
) -> tuple[list[AuditEntry], int]:
    """Newest first; the session's scope limits auditors to their own subtree's objects.
    ``where``: conditions of the audit search (:mod:`safegrid.security.audit_log`)."""
    from sqlalchemy import func

    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    items = session.scalars(
        select(AuditEntry).where(*where).order_by(AuditEntry.seq.desc()).offset(offset).limit(limit)
    ).all()
    return list(items), total
