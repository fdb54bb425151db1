"""Appending to the hall event store (HALL-8) in the transaction of the change it records.

Every writing hall service calls :func:`append` once with all the facts it made true, so
the store, the change and the outbox event commit (or roll back) together. Rows are only
ever inserted; ``monitor.rebuild`` folds them back into the monitor's state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert

from safegrid.hall.events import HallEventRecorded
from safegrid.hall.models import HallEvent
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork

# Kinds of fact; the fold in ``monitor`` knows each.
TICKET_TAKEN = "ticket_taken"
TICKET_CALLED = "ticket_called"
TICKET_RECALLED = "ticket_recalled"
TICKET_TRANSFERRED = "ticket_transferred"
TICKET_NO_SHOW = "ticket_no_show"
TICKET_COMPLETED = "ticket_completed"
TICKET_RATED = "ticket_rated"
TICKET_EXPIRED = "ticket_expired"
WINDOW_CHANGED = "window_changed"
HALL_CHANGED = "hall_changed"


@dataclasses.dataclass(frozen=True)
class Fact:
    hall_id: int
    kind: str
    payload: dict[str, Any]
    ticket_id: int | None = None
    customer_id: int | None = None
    window_id: int | None = None


# session.info key: facts of a batch of queue operations (``hall.queue_batches``), stored
# together just before its commit.
BATCHED = "safegrid_hall_facts"


def append(uow: UnitOfWork, facts: Sequence[Fact]) -> list[int]:
    """Store ``facts`` in order and queue one outbox event each; returns their ids.

    Inside a batch of queue operations the facts wait, in order, and the batch stores them
    all with one INSERT before it commits (:func:`store_batched`): the same rows and events,
    two statements per batch instead of two per operation. Their ids are not known to the
    operation then (it returns []); no queue operation needs them."""
    if not facts:
        return []
    now = clock.now()
    rows = [
        {
            "org_unit_id": f.hall_id,
            "kind": f.kind,
            "ticket_id": f.ticket_id,
            "customer_id": f.customer_id,
            "window_id": f.window_id,
            "actor": uow.actor.username[:64],
            "payload": f.payload,
            "occurred_at": now,
        }
        for f in facts
    ]
    waiting = uow.session.info.get(BATCHED)
    if waiting is not None:
        waiting.extend(rows)
        return []
    return _store(uow, rows)


def store_batched(uow: UnitOfWork) -> None:
    """The facts a batch of queue operations made, stored in the order they were made."""
    _store(uow, uow.session.info.pop(BATCHED, None) or [])


def _store(uow: UnitOfWork, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    # The table, not the entity: the ORM's bulk-insert path costs more CPU than the row
    # itself, and every queue operation appends (as ``UnitOfWork.emit_many`` does).
    table = cast(Table, HallEvent.__table__)
    ids = list(
        uow.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    )
    uow.emit_many(
        [
            HallEventRecorded(
                event_id=int(i),
                hall_id=r["org_unit_id"],
                kind=r["kind"],
                ticket_id=r["ticket_id"],
                customer_id=r["customer_id"],
                occurred_at=r["occurred_at"],
            )
            for i, r in zip(ids, rows, strict=True)
        ]
    )
    return [int(i) for i in ids]
