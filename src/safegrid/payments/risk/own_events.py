"""The risk events a unit of work has written but not committed (ADR 0011).

Every ``risk_events`` insert goes through :func:`track`. The session keeps its rows in
``session.info`` and:

- its own later decisions count them at once (:func:`view`: the shared history plus this
  session's overlay) — as the same rules in SQL would see the transaction's own rows;
- on COMMIT they join the process's shared history through the commit hook below, so a
  single process never queries the table on the decision path;
- on ROLLBACK (or a rollback to a savepoint around them, as the callback batch does) they
  are dropped and were never counted anywhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from safegrid.payments.risk.history import (
    PENDING,
    EventRow,
    HotHistory,
    Paid,
    Table,
    for_session,
)

OVERLAY: Final = "risk_pending_overlay"  # session.info: a HotHistory of the pending rows
_OPTIONAL: Final = tuple(
    f.name for f in dataclasses.fields(EventRow) if f.name not in ("id", "kind", "at")
)


@dataclasses.dataclass(frozen=True)
class Pending:
    row: EventRow
    savepoint: SessionTransaction | None  # the innermost savepoint it was written in


def track(session: Session, event_id: int, values: Mapping[str, Any]) -> None:
    """Note an event this session just inserted (same transaction, not yet committed)."""
    row = EventRow(event_id, str(values["kind"]), values["at"],
                   **{k: values.get(k) for k in _OPTIONAL})  # fmt: skip
    pending: dict[int, Pending] = session.info.setdefault(PENDING, {})
    pending[event_id] = Pending(row, session.get_nested_transaction())
    _overlay(session).apply(row)


def _overlay(session: Session) -> HotHistory:
    overlay: HotHistory | None = session.info.get(OVERLAY)
    if overlay is None:
        overlay = session.info[OVERLAY] = HotHistory(overlay=True, loaded=True)
    return overlay


class Overlay:
    """The shared history with one session's uncommitted events on top (read-only)."""

    def __init__(self, base: HotHistory, own: HotHistory) -> None:
        self.base, self.own = base, own

    def velocity(self, table: Table, key: str | int, at: float, window: float) -> int:
        return self.base.velocity(table, key, at, window) + self.own.velocity(
            table, key, at, window
        )

    def paid_in(self, account_id: int, at: float, window: float) -> list[Paid]:
        # A lift in either part ends the pattern for both.
        cut = max(
            self.base.cleared.get(account_id, float("-inf")),
            self.own.cleared.get(account_id, float("-inf")),
        )
        both = self.base.paid_in(account_id, at, window) + self.own.paid_in(account_id, at, window)
        return sorted(p for p in both if p.at > cut)

    def suspension_sources(self, account_id: int) -> dict[str, float]:
        lifted = self.own.lifted.get(account_id, set())
        out = {s: u for s, u in self.base.suspension_sources(account_id).items() if s not in lifted}
        out.update(self.own.suspension_sources(account_id))
        return out

    def suspended_until(self, account_id: int, at: float) -> float | None:
        until = max(self.suspension_sources(account_id).values(), default=None)
        return until if until is not None and until > at else None


def view(session: Session, hist: HotHistory) -> HotHistory | Overlay:
    """What this session's decisions count (call under ``hist.lock``)."""
    own: HotHistory | None = session.info.get(OVERLAY)
    return hist if own is None else Overlay(hist, own)


# --- the session hooks -----------------------------------------------------------------
@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if PENDING not in session.info or session.in_nested_transaction():
        return  # nothing tracked, or a savepoint released (the rows stay pending)
    hist = for_session(session)
    with hist.lock:
        hist.committing.update(session.info[PENDING])


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if PENDING not in session.info or session.in_nested_transaction():
        return
    pending: dict[int, Pending] = session.info.pop(PENDING)
    session.info.pop(OVERLAY, None)
    hist = for_session(session)
    with hist.lock:
        hist.committed([p.row for p in pending.values()])


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    pending: dict[int, Pending] | None = session.info.get(PENDING)
    if not pending:
        return
    if previous.nested:  # back to a savepoint: drop what was written inside it
        kept = {i: p for i, p in pending.items() if not _inside(p.savepoint, previous)}
        if len(kept) != len(pending):
            session.info[PENDING] = kept
            session.info.pop(OVERLAY, None)
            for p in kept.values():
                _overlay(session).apply(p.row)
        return
    _drop(session)


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    # Closed without COMMIT or ROLLBACK (UnitOfWork.__exit__ only closes a session whose
    # sole writes were Core inserts): the rows went with the transaction.
    if transaction.parent is None and not transaction.nested and PENDING in session.info:
        _drop(session)


def _drop(session: Session) -> None:
    pending: dict[int, Pending] = session.info.pop(PENDING, {})
    session.info.pop(OVERLAY, None)
    hist = for_session(session)
    with hist.lock:
        hist.not_committed(list(pending))


def _inside(savepoint: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    tx = savepoint
    while tx is not None:
        if tx is rolled_back:
            return True
        tx = tx.parent
    return False
