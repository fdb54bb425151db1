"""The matcher (REC-2): one set-based run of a month for the whole utility.

The monthly job and a re-run from the console or CLI call the same :func:`do_run_month`.
A run streams both sides out of the database in one query each — the system side
(:mod:`system_side`: deposits, vouchers, card and channel days, refunds) and the bank
entries of the month's window that no other conclusion holds — as plain numbers (amounts
in fen, days as offsets); pairs them in memory with the rules of :mod:`pairing`
(reference, amount + date, fuzzy reference; one-to-one); colours the pairs; and writes
only what changed (:mod:`conclusions`). The three-way check and the cases of red items
follow in the same transaction, in SQL.

Colours: no difference → green; |difference| ≤ 0.1 % of the system amount → yellow;
more → red. Items a person decided on (accepted, turned red) or that have a case are kept
with their sides, so a re-run never loses a decision.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final, cast

import numpy as np
from sqlalchemy import Date, Table, exists, func, literal, select
from sqlalchemy.orm import Session

from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import PermissionDeniedError
from safegrid.platform.sql_dialect import days_between, insert_skipping_conflicts
from safegrid.platform.uow import UnitOfWork
from safegrid.reconciliation import (
    bulk_read,
    cases,
    conclusions,
    pairing,
    periods,
    system_side,
    three_way,
)
from safegrid.reconciliation.events import MatchRunFinished
from safegrid.reconciliation.models import Colour, MatchItem, StatementEntry
from safegrid.security.policy import Perm

WINDOW_DAYS: Final = pairing.WINDOW_DAYS
YELLOW_SHARE: Final = Decimal(1) / conclusions.YELLOW_PER
WHOLE = system_side.WHOLE_UTILITY
ITEM_COLUMNS: Final = [
    "period", "item_key", "colour", "rule", "system_kind", "system_ref", "system_amount",
    "system_count", "bank_entry_id", "bank_amount", "difference", "day", "reason", "run_at",
    "org_unit_id",
]  # fmt: skip
IN_CHUNK: Final = 5_000


@dataclasses.dataclass(frozen=True)
class RunResult:
    period: str
    system_groups: int
    green: int
    yellow: int
    red: int
    cases_opened: int


def do_run_month(uow: UnitOfWork, period: str) -> RunResult:
    if not uow.actor.can(Perm.RECON_WORK):
        raise PermissionDeniedError("无对账权限 / not allowed to run reconciliation")
    first, last = periods.bounds(period)
    with uow:
        session = uow.session
        now = clock.now()
        with _collector_paused():
            stored = conclusions.read_stored(session, period, first)
            groups, n_groups = _read_groups(session, period, stored.kept_keys)
            entries = _read_entries(session, period, first, last, stored.kept_entries)
            pairs = pairing.pair(
                groups,
                entries,
                lambda units: _unit_paths(session, units),
                lambda ids: _reference_texts(session, ids),
            )
            found = conclusions.conclude(groups, entries, pairs, (last - first).days + 1)
            conclusions.save(session, period, first, now, stored, found)
            del stored, groups, entries, pairs, found
        three_way.check(session, period, now, _insert_items)
        opened = cases.open_for_red_items(uow, period)
        counts = dict(
            session.execute(
                select(MatchItem.colour, func.count())
                .where(MatchItem.period == period)
                .group_by(MatchItem.colour),
                execution_options=WHOLE,
            ).all()
        )
        result = RunResult(
            period, n_groups, counts.get(Colour.GREEN, 0), counts.get(Colour.YELLOW, 0),
            counts.get(Colour.RED, 0), opened,
        )  # fmt: skip
        uow.audit(
            "recon.month_matched",
            object_type="recon_period",
            object_id=period,
            after=dataclasses.asdict(result),
        )
        uow.emit(MatchRunFinished(period, result.green, result.yellow, result.red))
        uow.commit()
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The run holds millions of small tuples, lists and strings, none of them in a cycle:
    the cyclic collector would walk them again and again (a fifth of the run's CPU at
    300,000 transactions), while reference counting frees them all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_groups(session: Session, period: str, kept: set[str]) -> tuple[pairing.Groups, int]:
    """The system side, less the groups whose conclusion a person kept."""
    unit, kind, ref, day, amount, count = bulk_read.columns(session, system_side.groups(period), 6)
    keys = [f"sys:{k}:{r}" for k, r in zip(kind, ref, strict=True)]
    n = len(keys)
    take = [i for i, key in enumerate(keys) if key not in kept] if kept else None

    def ints(values: list[Any]) -> pairing.Ints:
        array = np.array(values, dtype=np.int64)
        return array if take is None else array[take]

    def strs(values: list[str]) -> list[str]:
        return values if take is None else [values[i] for i in take]

    groups = pairing.Groups(
        ints(unit), strs(kind), strs(ref), strs(keys), ints(day), ints(amount), ints(count)
    )
    return groups, n


def _read_entries(
    session: Session, period: str, first: date, last: date, kept: set[int]
) -> pairing.Entries:
    """The bank entries of the month and ``WINDOW_DAYS`` around it that neither another
    month's conclusion nor a kept one of this month holds. Only the two neighbouring months'
    windows overlap this one, so their (period, bank entry) unique index answers it."""
    e = StatementEntry
    neighbours = [f"{first - timedelta(days=1):%Y-%m}", f"{last + timedelta(days=1):%Y-%m}"]
    elsewhere = exists().where(MatchItem.period.in_(neighbours), MatchItem.bank_entry_id == e.id)
    stmt = select(
        e.id, e.org_unit_id, days_between(e.value_date, literal(first, Date)),
        system_side.fen(e.amount), e.reference,
    ).where(
        e.value_date.between(first - timedelta(WINDOW_DAYS), last + timedelta(WINDOW_DAYS)),
        ~elsewhere,
    )  # fmt: skip
    ids, unit, day, amount, reference = bulk_read.columns(session, stmt, 5)
    id_array = np.array(ids, dtype=np.int64)
    take = np.ones(len(ids), dtype=bool)
    if kept:
        take = ~np.isin(id_array, np.array(sorted(kept), dtype=np.int64))
    picked = np.flatnonzero(take).tolist() if kept else None
    return pairing.Entries(
        id_array[take],
        np.array(unit, dtype=np.int64)[take],
        np.array(day, dtype=np.int64)[take],
        np.array(amount, dtype=np.int64)[take],
        reference if picked is None else [reference[i] for i in picked],
    )


def _in_chunks(session: Session, stmt: Any, column: Any, values: list[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        rows.extend(session.execute(stmt.where(column.in_(chunk)), execution_options=WHOLE))
    return rows


def _unit_paths(session: Session, units: set[int]) -> Mapping[int, str]:
    stmt = select(OrgUnit.id, OrgUnit.path)
    return dict(_in_chunks(session, stmt, OrgUnit.id, sorted(units)))


def _reference_texts(session: Session, ids: list[int]) -> Mapping[int, str]:
    """Every reference an entry carries (end-to-end id, remittance text…) as stored."""
    stmt = select(StatementEntry.id, StatementEntry.references_json)
    return dict(_in_chunks(session, stmt, StatementEntry.id, ids))


def _insert_items(session: Session, chosen: Any) -> None:
    table = cast(Table, MatchItem.__table__)
    stmt = insert_skipping_conflicts(table, session.get_bind().dialect.name)
    session.execute(stmt.from_select(ITEM_COLUMNS, chosen), execution_options=WHOLE)
