"""Bill-run progress in the database, so the console's poll answers from any server process.

A run is one transaction, invisible to other sessions until it commits (ADR 0006), so its
progress is a row of its own (:class:`BillRunProgress`): opened and closed by audited
units of work, and moved forward in between by short committed updates of its counters
— a heartbeat, not business state, so no audit entry per batch.

SQLite has one writer: while the run holds the write lock, no other connection can commit,
so there the counters move only at the start and the end. PostgreSQL shows every batch.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, update

from safegrid.billing.models import BillRunProgress
from safegrid.billing.repository import BillRepository
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork

log = logging.getLogger(__name__)

# A running row not moved for this long belonged to a process that died mid-run (on
# SQLite the counters only move at the ends, so this is also the longest run it waits for).
ABANDONED_AFTER = timedelta(minutes=15)
_WEIGHTS = {"load": (0, 20), "compute": (20, 10), "write": (30, 70)}


@dataclasses.dataclass(frozen=True)
class RunProgress:
    """What the progress box shows."""

    id: int
    period: str
    phase: str
    done: int
    total: int
    started_at: datetime
    finished: bool
    run_id: int | None
    bills_created: int
    error: str | None

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        start, span = _WEIGHTS.get(self.phase, (0, 0))
        return start + (span * self.done // self.total if self.total else 0)

    @classmethod
    def of(cls, row: BillRunProgress) -> RunProgress:
        return cls(
            id=row.id,
            period=row.period,
            phase=row.phase,
            done=row.done,
            total=row.total,
            started_at=row.started_at,
            finished=row.finished_at is not None,
            run_id=row.run_id,
            bills_created=row.bills_created,
            error=row.error,
        )


def current(uow: UnitOfWork) -> RunProgress | None:
    """The caller's latest console run, as committed by whichever process runs it."""
    with uow:
        row = BillRepository(uow).latest_progress(uow.actor.username)
        return None if row is None else RunProgress.of(row)


def open_run(uow: UnitOfWork, period: str) -> tuple[RunProgress, bool]:
    """The caller's running run if there is one (a double click, or a click in another
    process, does not start two) with False; else a new progress row with True."""
    now = clock.now()
    with uow:
        repo = BillRepository(uow)
        running = repo.latest_progress(uow.actor.username, running_since=now - ABANDONED_AFTER)
        if running is not None:
            return RunProgress.of(running), False
        unit = uow.actor.org_unit_id or repo.root_unit_id()
        row = BillRunProgress(
            period=period,
            started_by=uow.actor.username,
            phase="load",
            done=0,
            total=0,
            started_at=now,
            updated_at=now,
            org_unit_id=unit,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit(
            "billing.run.started",
            object_type="bill_run_progress",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            after={"period": period},
        )
        uow.commit()
        return RunProgress.of(row), True


class Heartbeat:
    """The run's ``progress`` callback: commits the counters of one progress row."""

    def __init__(self, engine: Engine, progress_id: int) -> None:
        self._engine = engine
        self._id = progress_id
        self._live = engine.dialect.name != "sqlite"

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self._live:
            return
        stmt = (
            update(BillRunProgress)
            .where(BillRunProgress.id == self._id)
            .values(phase=phase, done=done, total=total, updated_at=clock.now())
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(stmt)
        except Exception:  # a lost heartbeat must never fail the run itself
            log.warning("bill-run progress %s not recorded", self._id, exc_info=True)


def close_run(
    uow: UnitOfWork, progress_id: int, *, run_id: int | None, bills: int, error: str | None
) -> None:
    with uow:
        row = uow.session.get(BillRunProgress, progress_id)
        if row is None:
            return
        row.finished_at = row.updated_at = clock.now()
        row.run_id, row.bills_created, row.error = run_id, bills, error
        if error is None:
            row.phase, row.done = "write", row.total
        uow.audit(
            "billing.run.finished",
            object_type="bill_run_progress",
            object_id=row.id,
            org_unit_id=row.org_unit_id,
            after={"run_id": run_id, "bills_created": bills, "error": error},
        )
        uow.commit()
