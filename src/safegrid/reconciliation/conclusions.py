"""A run's conclusions (REC-2): built from the pairs, compared with what the period already
holds, and only the difference written — in bulk, through the driver (COPY on PostgreSQL,
executemany on SQLite; :class:`~safegrid.billing.bulk_store.BulkWriter`).

What a person decided on (accepted, turned red) or what has a case is *kept*: its group and
its bank entry are not matched again. Everything else is recomputed; an undecided item the
run concludes identically stays as it is (with its first ``run_at``), a changed or vanished
one is deleted, a new one inserted — so a re-run of an unchanged month writes nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any, Final, cast

import numpy as np
from sqlalchemy import Date, Table, case, delete, exists, literal, or_, select
from sqlalchemy.orm import Session

from safegrid.billing.bulk_store import Ints
from safegrid.platform.sql_dialect import days_between
from safegrid.reconciliation import bulk_read, bulk_write, system_side
from safegrid.reconciliation.models import Colour, MatchItem, ReconCase
from safegrid.reconciliation.pairing import Entries, Groups, Pairs

WHOLE = system_side.WHOLE_UTILITY
GREEN, YELLOW, RED = Colour.GREEN.value, Colour.YELLOW.value, Colour.RED.value
# Yellow: |difference| ≤ 0.1 % of the system amount, i.e. 1000·|difference| ≤ |amount| in fen.
YELLOW_PER: Final = 1000
DELETE_CHUNK: Final = 5_000
# What a conclusion says, in the order compared with the stored one: colour, rule, kind,
# ref, system amount (fen), count, bank entry, bank amount (fen), difference (fen), day
# (offset), reason, unit.
FIELDS: Final = 12
MONEY: Final = (4, 7, 8)
DAY: Final = 9
COLUMNS: Final = [
    "item_key", "colour", "rule", "system_kind", "system_ref", "system_amount", "system_count",
    "bank_entry_id", "bank_amount", "difference", "day", "reason", "org_unit_id",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Stored:
    kept_keys: set[str]
    kept_entries: set[int]
    undecided: dict[str, tuple[int, tuple[Any, ...]]]  # key → (id, what it concluded)


@dataclasses.dataclass
class Conclusions:
    keys: list[str]
    columns: list[list[Any]]  # FIELDS columns, in the compared order

    def __len__(self) -> int:
        return len(self.keys)


def read_stored(session: Session, period: str, first: date) -> Stored:
    item = MatchItem
    kept = or_(item.decision.is_not(None), exists().where(ReconCase.item_id == item.id))
    ids, keys, kept_flags, *said = bulk_read.columns(
        session,
        select(
            item.id, item.item_key, case((kept, 1), else_=0), item.colour, item.rule,
            item.system_kind, item.system_ref, system_side.fen(item.system_amount),
            item.system_count, item.bank_entry_id, system_side.fen(item.bank_amount),
            system_side.fen(item.difference), days_between(item.day, literal(first, Date)),
            item.reason, item.org_unit_id,
        ).where(item.period == period),
        3 + FIELDS,
    )  # fmt: skip
    kept_keys: set[str] = set()
    kept_entries: set[int] = set()
    undecided: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for item_id, key, is_kept, fields in zip(
        ids, keys, kept_flags, zip(*said, strict=True), strict=True
    ):
        if is_kept:
            kept_keys.add(key)
            if fields[6] is not None:
                kept_entries.add(fields[6])
        else:
            undecided[key] = (item_id, fields)
    return Stored(kept_keys, kept_entries, undecided)


def _colour(difference: Ints, amount: Ints) -> list[str]:
    colour = np.where(
        difference == 0,
        GREEN,
        np.where(np.abs(difference) * YELLOW_PER <= np.abs(amount), YELLOW, RED),
    )
    return cast(list[str], colour.tolist())


def conclude(groups: Groups, entries: Entries, pairs: Pairs, month_days: int) -> Conclusions:
    """Pairs, then groups no entry took (missing at the bank), then the month's entries no
    group took (missing in SafeGrid; the window's edge days belong to the next month)."""
    g, e = pairs.group, pairs.entry
    left_g = np.ones(len(groups.key), dtype=bool)
    left_g[g] = False
    lone_g = np.flatnonzero(left_g)
    left_e = np.ones(len(entries.id), dtype=bool)
    left_e[e] = False
    lone_e = np.flatnonzero(left_e & (entries.day >= 0) & (entries.day < month_days))
    g_list, e_list, lone_g_list = g.tolist(), e.tolist(), lone_g.tolist()
    kinds, refs, bank_refs = groups.kind, groups.ref, entries.reference
    diff = entries.amount[e] - groups.amount[g]
    n_lone_e = len(lone_e)
    nones_e: list[Any] = [None] * n_lone_e
    nones_g: list[Any] = [None] * len(lone_g)
    keys = [groups.key[i] for i in g_list + lone_g_list] + [
        f"bank:{i}" for i in entries.id[lone_e].tolist()
    ]
    columns = [
        _colour(diff, groups.amount[g]) + [RED] * (len(lone_g) + n_lone_e),
        pairs.rule + ["missing_at_bank"] * len(lone_g) + ["missing_in_system"] * n_lone_e,
        [kinds[i] for i in g_list + lone_g_list] + nones_e,
        [refs[i] for i in g_list + lone_g_list] + nones_e,
        groups.amount[np.concatenate([g, lone_g])].tolist() + nones_e,
        groups.count[np.concatenate([g, lone_g])].tolist() + [0] * n_lone_e,
        entries.id[e].tolist() + nones_g + entries.id[lone_e].tolist(),
        entries.amount[e].tolist() + nones_g + entries.amount[lone_e].tolist(),
        diff.tolist() + (-groups.amount[lone_g]).tolist() + entries.amount[lone_e].tolist(),
        groups.day[np.concatenate([g, lone_g])].tolist() + entries.day[lone_e].tolist(),
        [
            f"{rule}: {kinds[gi]} {refs[gi]} ↔ bank {bank_refs[ei] or '-'}"
            for rule, gi, ei in zip(pairs.rule, g_list, e_list, strict=True)
        ]
        + [f"missing_at_bank: {kinds[i]} {refs[i]} not on any bank statement" for i in lone_g_list]
        + [f"missing_in_system: bank {bank_refs[i] or '-'} not in SafeGrid" for i in lone_e.tolist()],
        groups.unit[np.concatenate([g, lone_g])].tolist() + entries.unit[lone_e].tolist(),
    ]  # fmt: skip
    return Conclusions(keys, columns)


def save(
    session: Session,
    period: str,
    first: date,
    now: datetime,
    stored: Stored,
    new: Conclusions,
) -> None:
    """Delete the undecided items this run does not conclude again identically, insert the
    conclusions not already stored."""
    same: set[str] = set()
    if stored.undecided:
        said = dict(zip(new.keys, zip(*new.columns, strict=True), strict=True))
        same = {key for key, (_, before) in stored.undecided.items() if said.get(key) == before}
    stale = [item_id for key, (item_id, _) in stored.undecided.items() if key not in same]
    fresh = [i for i, key in enumerate(new.keys) if key not in same] if same else None
    for start in range(0, len(stale), DELETE_CHUNK):
        session.execute(
            delete(MatchItem).where(MatchItem.id.in_(stale[start : start + DELETE_CHUNK])),
            execution_options=WHOLE,
        )
    _write(session, period, first, now, new, fresh)


def _write(
    session: Session,
    period: str,
    first: date,
    now: datetime,
    new: Conclusions,
    rows: list[int] | None,
) -> None:
    """Insert the conclusions at ``rows`` (all of them for None)."""
    if rows is None:
        keys, picked = new.keys, list(new.columns)
    else:
        keys = [new.keys[i] for i in rows]
        picked = [[column[i] for i in rows] for column in new.columns]
    if not keys:
        return
    table = cast(Table, MatchItem.__table__)
    dialect = session.get_bind().dialect
    for c in MONEY:
        picked[c] = bulk_write.Money(picked[c])
    # Dates and the run's instant as the columns' types bind them (SQLite keeps text).
    day_bind = table.c.day.type.dialect_impl(dialect).bind_processor(dialect)
    days = {d: first + timedelta(days=d) for d in set(picked[DAY])}
    if day_bind is not None:
        days = {d: day_bind(value) for d, value in days.items()}
    picked[DAY] = [days[d] for d in picked[DAY]]
    at_bind = table.c.run_at.type.dialect_impl(dialect).bind_processor(dialect)
    n = len(keys)
    bulk_write.insert_columns(
        session,
        table,
        ["period", "run_at", *COLUMNS],
        [[period] * n, [at_bind(now) if at_bind else now] * n, keys, *picked],
    )
