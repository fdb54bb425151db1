"""A unit of work that appends its audit entries at commit, all in one go (ADR 0010).

:func:`safegrid.security.audit.record` takes the chain head's row lock at a transaction's
first entry and holds it to the commit, so every writer is serialised from its first
audit entry on. A transaction that applies a batch of payment callbacks would hold it for
the whole batch — and, taking account locks after it, could deadlock with another batch.
Here the entries wait in memory and are chained at commit: the head lock is the LAST lock
the transaction takes and is held only for the appends and the commit itself.

The entries are chained by :func:`safegrid.security.audit.append_many`, the same path
:func:`~safegrid.security.audit.record` takes for one entry (same body, same SM3 links;
:func:`safegrid.security.audit.verify` checks it). Each entry keeps the actor it was
recorded under (a batch applies callbacks from different addresses). ``mark`` and
``rewind`` drop what a rolled-back savepoint recorded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import sessionmaker

from safegrid.platform.uow import ACTOR, SCOPE, UnitOfWork
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.audit import PendingEntry
from safegrid.security.models import AuditEntry


@dataclasses.dataclass(frozen=True)
class Mark:
    entries: int
    audited: bool


class DeferredAuditUnitOfWork(UnitOfWork):
    """:class:`UnitOfWork` whose ``audit`` entries are chained at ``commit``."""

    def __init__(self, session_factory: sessionmaker[Any], actor: Actor) -> None:
        super().__init__(session_factory, actor, audit.CHAIN)
        self._pending: list[PendingEntry] = []

    def act_as(self, actor: Actor) -> None:
        """Who the next changes are by, and so what rows they reach (one batch, many
        callers)."""
        self.actor = actor
        self.session.info[ACTOR] = actor
        self.session.info[SCOPE] = actor.scope

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
        pending = PendingEntry.of(
            self.actor,
            action,
            object_type=object_type,
            object_id=object_id,
            org_unit_id=org_unit_id,
            before=before,
            after=after,
            note=note,
        )
        self._pending.append(pending)
        self._audited = True
        return pending.row

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
        audit.append_many(self.session, pending)
        super().commit()

    def __exit__(self, *exc: Any) -> None:
        self._pending = []
        super().__exit__(*exc)
