"""Unit of work: one transaction, bound to the acting user's scope.

It rolls back unless committed. A writing unit of work refuses to commit changes that
were not audited, so no service can change state silently (AUD-1). Events go to the
outbox in the same transaction; the relay hands them on once committed (ADR 0016).

The audit chain belongs to security, which builds on this kernel: the unit of work writes
entries through the :class:`AuditWriter` port it is given (``safegrid.security.audit``
implements it, :mod:`safegrid.bootstrap` wires it), so platform never imports security
at run time. The acting user is security's ``Actor``; here it is only a type annotation
and an opaque scope handed to the session.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Connection, Table, event, insert, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from safegrid.platform import clock
from safegrid.platform.db import RECORDS_CHANGES
from safegrid.platform.events import Event
from safegrid.platform.outbox import OutboxMessage

if TYPE_CHECKING:  # the acting user's type only: nothing of security runs from here
    from safegrid.security.actor import Actor

# session.info keys: the transaction changed state (set by the hooks below only), the
# acting user (hooks name who made a change), and the row scope security enforces (ORG-2).
WROTE = "safegrid_wrote"
ACTOR = "actor"
SCOPE = "scope"


class AuditWriter(Protocol):
    """Writes one audit entry in the session's transaction and returns its row."""

    def record(
        self,
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
    ) -> object: ...


class UnauditedChangeError(RuntimeError):
    """A writing unit of work tried to commit without an audit entry."""


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Any],
        actor: Actor,
        audit_writer: AuditWriter,
        *,
        readonly: bool = False,
    ) -> None:
        self._factory = session_factory
        self._audit_writer = audit_writer
        self.actor = actor
        self.readonly = readonly
        self._audited = False
        self._session: Session | None = None
        # Execution options of the transaction this unit of work begins (set before
        # entering), e.g. ``sqlite_references_checked`` for the file import (ADR 0005).
        self.begin_options: dict[str, Any] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        self._session.info[SCOPE] = self.actor.scope
        # Session hooks (key-field alerts, AUD-3) name who made the change.
        self._session.info[ACTOR] = self.actor
        if not self.readonly:
            self._session.connection(
                execution_options={"sqlite_immediate": True, **self.begin_options}
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            # close() alone also rolls back, but without expiring what was loaded, so a
            # read-only caller may still use the objects it got; uncommitted writes are
            # rolled back explicitly so nothing half-written survives.
            if session.in_transaction() and (
                session.new or session.dirty or session.deleted or session.info.get(WROTE)
            ):
                session.rollback()
        finally:
            session.info.pop(WROTE, None)
            session.close()
            self._session = None

    @property
    def session_factory(self) -> sessionmaker[Any]:
        """Where this unit of work's sessions come from (its database)."""
        return self._factory

    def fresh(self) -> UnitOfWork:
        """Another unit of work for the same actor (e.g. to record a failure after this
        one's transaction went wrong)."""
        return UnitOfWork(self._factory, self.actor, self._audit_writer)

    def audit(self, action: str, **kwargs: Any) -> object:
        entry = self._audit_writer.record(self.session, self.actor, action, **kwargs)
        self._audited = True
        return entry

    def emit(self, event: Event) -> None:
        self.emit_many([event])

    def emit_many(self, events: Sequence[Event]) -> None:
        """Events into the outbox with the change (one executemany), relayed once
        committed (ADR 0016); ``emit`` is a batch of one."""
        if not events:
            return
        now = clock.now()
        # The table, not the ORM entity: the ORM's bulk-insert path costs more than the
        # rows themselves for the payment callbacks' thousands of events (ADR 0013).
        self.session.execute(
            insert(cast(Table, OutboxMessage.__table__)),
            [{"topic": e.topic, "payload": e.payload(), "created_at": now} for e in events],
        )

    def commit(self) -> None:
        session = self.session
        if self.readonly:
            raise RuntimeError("read-only unit of work cannot commit")
        session.flush()
        if not self._audited and self._has_changes(session):
            raise UnauditedChangeError("state changed without an audit entry")
        session.commit()
        self._audited = False

    @staticmethod
    def _has_changes(session: Session) -> bool:
        return bool(session.info.pop(WROTE, False))


def records_changes(table: Any) -> bool:
    """Whether ``table`` records changes (the audit chain, the outbox) rather than holding
    state: writing only such tables is no change that needs an audit entry."""
    return bool(getattr(table, "info", {}).get(RECORDS_CHANGES))


@event.listens_for(Session, "before_flush")
def _note_writes(session: Session, _ctx: Any, _instances: Any) -> None:
    # After a flush the session no longer shows what it wrote, so remember it here.
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not records_changes(inspect(obj).mapper.local_table) and (
            obj not in session.dirty or session.is_modified(obj)
        ):
            session.info[WROTE] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_statement_writes(state: ORMExecuteState) -> None:
    # Bulk and Core INSERT/UPDATE/DELETE run through the session never reach the flush, so
    # every such statement marks the session here: no service has to remember to say so.
    if (state.is_insert or state.is_update or state.is_delete) and not records_changes(
        getattr(state.statement, "table", None)
    ):
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_begin")
def _watch_connection(session: Session, _transaction: Any, connection: Connection) -> None:
    # Statements run on session.connection() (bulk stores, INSERT … SELECT) pass neither
    # hook above: the transaction's connection notes its writes for the session too. (A
    # raw DBAPI cursor, e.g. COPY, is seen by nothing; those services audit on their own.)
    event.listen(connection, "before_execute", functools.partial(_note_connection_write, session))


def _note_connection_write(
    session: Session, _conn: Connection, clause: Any, *_args: Any, **_kwargs: Any
) -> None:
    if getattr(clause, "is_dml", False) and not records_changes(getattr(clause, "table", None)):
        session.info[WROTE] = True
