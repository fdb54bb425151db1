"""The matcher's rules on the two sides held as arrays (REC-2): which system group goes with
which bank entry, one-to-one, in rule order. Pure: no database here (:mod:`matching` reads
the sides and writes the conclusions).

1. ``reference``: the entry's reference is the group's (voucher, end-to-end id, batch);
2. ``amount_date``: the same amount, value date within ``WINDOW_DAYS``, and the bank
   account's unit is the group's or above it;
3. ``fuzzy_reference``: the group's reference (≥ 6 characters) appears anywhere in the
   entry's references, or the entry's inside the group's, within the window.

Within a rule the candidate pairs are ranked by day distance, then the group's key, then the
entry's id, and taken greedily: a pair is kept unless an earlier kept pair already holds its
group or its entry. The greedy pass runs in rounds over arrays (see :func:`one_to_one`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

WINDOW_DAYS: Final = 3
FUZZY_MIN: Final = 6

Ints = np.ndarray[Any, np.dtype[np.int64]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]


@dataclasses.dataclass(frozen=True)
class Groups:
    """The system side: ``key`` is the item key (``sys:<kind>:<ref>``), ``day`` days after
    the month's first, ``amount`` in fen."""

    unit: Ints
    kind: list[str]
    ref: list[str]
    key: list[str]
    day: Ints
    amount: Ints
    count: Ints


@dataclasses.dataclass(frozen=True)
class Entries:
    id: Ints
    unit: Ints
    day: Ints
    amount: Ints
    reference: list[str | None]


@dataclasses.dataclass(frozen=True)
class Pairs:
    group: Ints
    entry: Ints
    rule: list[str]


def one_to_one(group: Ints, entry: Ints) -> Ints:
    """Positions of the pairs a greedy pass in the given order keeps.

    A round keeps every pair that comes first for both its group and its entry among the
    pairs still alive (no earlier pair can take either, so greedy keeps it), then drops the
    pairs that share a side with a kept one; a round keeps at least the first alive pair."""
    alive = np.arange(len(group))
    kept: list[Ints] = []
    while len(alive):
        g, e = group[alive], entry[alive]
        first = np.zeros(len(alive), dtype=bool)
        first[np.unique(g, return_index=True)[1]] = True
        first_e = np.zeros(len(alive), dtype=bool)
        first_e[np.unique(e, return_index=True)[1]] = True
        take = alive[first & first_e]
        kept.append(take)
        alive = alive[~(np.isin(g, group[take]) | np.isin(e, entry[take]))]
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)


def _ranked(groups: Groups, entries: Entries, g: Ints, e: Ints) -> tuple[Ints, Ints]:
    """The candidates ordered by (day distance, group key, entry id), then made one-to-one.
    A pair alone on both its sides is kept whatever the order: only the rest is ranked."""
    if not len(g):
        return g, e
    alone = (np.bincount(g)[g] == 1) & (np.bincount(e)[e] == 1)
    g_rest, e_rest = g[~alone], e[~alone]
    if len(g_rest):
        dist = np.abs(entries.day[e_rest] - groups.day[g_rest])
        cand = np.unique(g_rest)
        keys = np.array([groups.key[i] for i in cand.tolist()], dtype=object)
        rank = np.empty(len(cand), dtype=np.int64)
        rank[np.argsort(keys)] = np.arange(len(cand))
        order = np.lexsort((entries.id[e_rest], rank[np.searchsorted(cand, g_rest)], dist))
        g_rest, e_rest = g_rest[order], e_rest[order]
        keep = one_to_one(g_rest, e_rest)
        g_rest, e_rest = g_rest[keep], e_rest[keep]
    return np.concatenate([g[alone], g_rest]), np.concatenate([e[alone], e_rest])


def _by_reference(groups: Groups, entries: Entries) -> tuple[Ints, Ints]:
    left = pd.DataFrame({"ref": groups.ref, "g": np.arange(len(groups.ref))})
    right = pd.DataFrame({"ref": entries.reference, "e": np.arange(len(entries.reference))})
    cand = left.merge(right.dropna(), on="ref")
    return _ranked(groups, entries, cand["g"].to_numpy(np.int64), cand["e"].to_numpy(np.int64))


def _by_amount_and_day(
    groups: Groups, entries: Entries, g_free: Ints, e_free: Ints, paths: Mapping[int, str]
) -> tuple[Ints, Ints]:
    left = pd.DataFrame({"amount": groups.amount[g_free], "g": g_free})
    right = pd.DataFrame({"amount": entries.amount[e_free], "e": e_free})
    cand = left.merge(right, on="amount")
    g, e = cand["g"].to_numpy(np.int64), cand["e"].to_numpy(np.int64)
    near = np.abs(entries.day[e] - groups.day[g]) <= WINDOW_DAYS
    g, e = g[near], e[near]
    # The bank account's unit holds the group's money: the group's unit or one above it.
    under = np.array(
        [
            paths[gu].startswith(paths[eu])
            for gu, eu in zip(groups.unit[g].tolist(), entries.unit[e].tolist(), strict=True)
        ],
        dtype=bool,
    )
    return _ranked(groups, entries, g[under], e[under])


def _by_fuzzy_reference(
    groups: Groups, entries: Entries, g_free: Ints, e_free: Ints, texts: Mapping[int, str]
) -> tuple[Ints, Ints]:
    by_day: dict[int, list[int]] = defaultdict(list)
    for e in e_free.tolist():
        by_day[int(entries.day[e])].append(e)
    g_out: list[int] = []
    e_out: list[int] = []
    for g in g_free.tolist():
        ref = groups.ref[g]
        if len(ref) < FUZZY_MIN:
            continue
        day = int(groups.day[g])
        for d in range(day - WINDOW_DAYS, day + WINDOW_DAYS + 1):
            for e in by_day.get(d, ()):
                own = entries.reference[e] or ""
                if ref in texts.get(int(entries.id[e]), "") or (
                    len(own) >= FUZZY_MIN and own in ref
                ):
                    g_out.append(g)
                    e_out.append(e)
    return _ranked(groups, entries, np.array(g_out, np.int64), np.array(e_out, np.int64))


def pair(
    groups: Groups,
    entries: Entries,
    unit_paths: Callable[[set[int]], Mapping[int, str]],
    reference_texts: Callable[[list[int]], Mapping[int, str]],
) -> Pairs:
    """Rules 1–3 in order; each later rule sees only what the earlier ones left. The unit
    paths and the entries' full reference texts are asked for only for those leftovers."""
    g_free = np.ones(len(groups.key), dtype=bool)
    e_free = np.ones(len(entries.id), dtype=bool)
    found: list[tuple[Ints, Ints, str]] = []

    def take(g: Ints, e: Ints, rule: str) -> None:
        g_free[g] = False
        e_free[e] = False
        found.append((g, e, rule))

    take(*_by_reference(groups, entries), "reference")
    g_left, e_left = np.flatnonzero(g_free), np.flatnonzero(e_free)
    if len(g_left) and len(e_left):
        units = set(groups.unit[g_left].tolist()) | set(entries.unit[e_left].tolist())
        paths = unit_paths(units)
        take(*_by_amount_and_day(groups, entries, g_left, e_left, paths), "amount_date")
        g_left, e_left = np.flatnonzero(g_free), np.flatnonzero(e_free)
    if len(g_left) and len(e_left):
        texts = reference_texts(entries.id[e_left].tolist())
        take(*_by_fuzzy_reference(groups, entries, g_left, e_left, texts), "fuzzy_reference")
    return Pairs(
        np.concatenate([g for g, _, _ in found]),
        np.concatenate([e for _, e, _ in found]),
        [rule for g, _, rule in found for _ in range(len(g))],
    )
