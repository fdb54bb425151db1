"""A unit of work that appends its audit entries at commit, all in one go (ADR 0010).

:func:`safegrid.security.audit.record` takes the chain head's row lock at a transaction's
first entry and holds it to the commit, so every writer is serialised from its first
audit entry on. A transaction that applies a batch of payment callbacks would hold it for
the whole batch — and, taking account locks after it, could deadlock with another batch.
Here the entries wait in memory and are chained at commit: the head lock is the LAST lock
the transaction takes and is held only for the appends and the commit itself.

The chain is the same as :func:`~safegrid.security.audit.record` writes (same body, same
SM3 links; :func:`safegrid.security.audit.verify` checks it). Each entry keeps the actor
it was recorded under (a batch applies callbacks from different addresses). ``mark`` and
``rewind`` drop what a rolled-back savepoint recorded.

A candidate for :mod:`safegrid.platform.uow` / :mod:`safegrid.security.audit` (lead):
``append_many`` belongs next to ``record``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session, sessionmaker

from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry, AuditHead
from safegrid.security.scope import SKIP_SCOPE

_ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]


@dataclasses.dataclass
class PendingEntry:
    actor: Actor
    action: str
    object_type: str
    object_id: str | None
    org_unit_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
    row: AuditEntry  # returned to the caller now, filled in and added at commit


def append_many(session: Session, pending: list[PendingEntry]) -> None:
    """Chain ``pending`` after the current head: one head update for all of them."""
    if not pending:
        return
    session.flush()
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == audit.HEAD_ID)
        .values(seq=AuditHead.seq + len(pending))
        .returning(AuditHead.seq, AuditHead.last_hash),
        execution_options={SKIP_SCOPE: True},
    ).one()
    seq, prev_hash = int(row[0]) - len(pending), str(row[1])
    at = clock.now()
    rows: list[dict[str, Any]] = []
    for p in pending:
        seq += 1
        body = audit._body(  # the one definition of an entry body
            seq,
            at,
            p.actor.account_id,
            p.actor.username,
            p.actor.channel,
            p.actor.ip,
            p.action,
            p.object_type,
            p.object_id,
            p.org_unit_id,
            p.before,
            p.after,
            p.note,
        )
        text_body = audit.canonical(body).decode()
        digest = audit.chain_hash_text(prev_hash, text_body)
        e = p.row  # the caller's object, filled in (not added: the rows go in below)
        e.seq, e.at, e.body, e.prev_hash, e.hash = seq, at, text_body, prev_hash, digest
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor_id": p.actor.account_id,
                "actor_name": p.actor.username,
                "channel": p.actor.channel,
                "ip": p.actor.ip,
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
    session.execute(insert(_ENTRIES), rows, execution_options={SKIP_SCOPE: True})
    session.info[audit.LAST_SEQ] = seq
    session.execute(
        update(AuditHead).where(AuditHead.id == audit.HEAD_ID).values(last_hash=prev_hash),
        execution_options={SKIP_SCOPE: True},
    )


@dataclasses.dataclass(frozen=True)
class Mark:
    entries: int
    audited: bool


class DeferredAuditUnitOfWork(UnitOfWork):
    """:class:`UnitOfWork` whose ``audit`` entries are chained at ``commit``."""

    def __init__(self, session_factory: sessionmaker[Any], actor: Actor) -> None:
        super().__init__(session_factory, actor)
        self._pending: list[PendingEntry] = []

    def act_as(self, actor: Actor) -> None:
        """Who the next changes are by (one batch, many callers)."""
        self.actor = actor
        self.session.info["actor"] = actor

    def audit(self, action: str, **kwargs: Any) -> AuditEntry:
        return self._defer(action, **kwargs)

    def _defer(
        self,
        action: str,
        *,
        object_type: str,
        object_id: object | None = None,
        org_unit_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> AuditEntry:
        a = self.actor
        oid = None if object_id is None else str(object_id)
        row = AuditEntry(
            actor_id=a.account_id,
            actor_name=a.username,
            channel=a.channel,
            ip=a.ip,
            action=action,
            object_type=object_type,
            object_id=oid,
            org_unit_id=org_unit_id,
        )
        self._pending.append(
            PendingEntry(a, action, object_type, oid, org_unit_id, before, after, note, row)
        )
        self._audited = True
        return row

    @property
    def pending_entries(self) -> int:
        return len(self._pending)

    def mark(self) -> Mark:
        return Mark(len(self._pending), self._audited)

    def rewind(self, mark: Mark) -> None:
        """Forget what was recorded since ``mark`` (its savepoint was rolled back)."""
        del self._pending[mark.entries :]
        self._audited = mark.audited

    def commit(self) -> None:
        pending, self._pending = self._pending, []
        append_many(self.session, pending)
        super().commit()

    def __exit__(self, *exc: Any) -> None:
        self._pending = []
        super().__exit__(*exc)
