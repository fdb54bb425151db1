"""REC-2: the matcher's rules on arrays — one-to-one by rank, in rule order, the bank
account's unit at or above the group's, fuzzy references only in what is left."""

from __future__ import annotations

import random

import numpy as np

from safegrid.reconciliation import pairing


def _greedy(group: list[int], entry: list[int]) -> list[int]:
    taken_g: set[int] = set()
    taken_e: set[int] = set()
    kept = []
    for i, (g, e) in enumerate(zip(group, entry, strict=True)):
        if g not in taken_g and e not in taken_e:
            taken_g.add(g)
            taken_e.add(e)
            kept.append(i)
    return kept


def test_rec_2_one_to_one_rounds_keep_what_a_greedy_pass_keeps() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        n = rnd.randint(0, 40)
        group = [rnd.randint(0, 9) for _ in range(n)]
        entry = [rnd.randint(0, 9) for _ in range(n)]
        kept = pairing.one_to_one(np.array(group, np.int64), np.array(entry, np.int64))
        assert kept.tolist() == _greedy(group, entry)


def _groups(rows: list[tuple[int, str, int, int]]) -> pairing.Groups:
    """(unit, ref, day, amount fen) per deposit."""
    return pairing.Groups(
        np.array([r[0] for r in rows], np.int64),
        ["deposit"] * len(rows),
        [r[1] for r in rows],
        [f"sys:deposit:{r[1]}" for r in rows],
        np.array([r[2] for r in rows], np.int64),
        np.array([r[3] for r in rows], np.int64),
        np.ones(len(rows), np.int64),
    )


def _entries(rows: list[tuple[int, int, int, int, str | None]]) -> pairing.Entries:
    """(id, unit, day, amount fen, reference) per bank entry."""
    return pairing.Entries(
        np.array([r[0] for r in rows], np.int64),
        np.array([r[1] for r in rows], np.int64),
        np.array([r[2] for r in rows], np.int64),
        np.array([r[3] for r in rows], np.int64),
        [r[4] for r in rows],
    )


def test_rec_2_rules_in_order_by_distance_unit_and_fuzzy_reference() -> None:
    paths = {1: "/p/", 2: "/p/c/", 3: "/p/d/"}
    groups = _groups([
        (2, "V-1", 5, 10_000),       # two entries carry V-1: the nearer day wins
        (2, "V-2", 5, 20_000),       # no reference at the bank: amount + day at the city
        (2, "V-3", 5, 30_000),       # same amount but the entry is a sibling unit's
        (2, "BATCH-778100", 9, 40_000),  # inside the entry's references text
    ])  # fmt: skip
    entries = _entries([
        (101, 2, 8, 10_000, "V-1"),
        (102, 2, 6, 10_000, "V-1"),
        (103, 1, 7, 20_000, None),   # the province's account: above the group's unit
        (104, 3, 5, 30_000, None),
        (105, 1, 10, 39_990, "X"),
    ])  # fmt: skip
    asked: list[list[int]] = []

    def texts(ids: list[int]) -> dict[int, str]:
        asked.append(ids)
        return {105: '{"end_to_end": "BATCH-778100/NOV"}'}

    pairs = pairing.pair(groups, entries, lambda units: paths, texts)
    found = {
        groups.ref[g]: (int(entries.id[e]), rule)
        for g, e, rule in zip(pairs.group.tolist(), pairs.entry.tolist(), pairs.rule, strict=True)
    }
    assert found == {
        "V-1": (102, "reference"),
        "V-2": (103, "amount_date"),
        "BATCH-778100": (105, "fuzzy_reference"),
    }
    # Only what rules 1 and 2 left is asked for its full references.
    assert asked == [[101, 104, 105]]
