"""The bill run's arithmetic for a whole period at once, vectorised (BILL-4).

Exact integers only: kWh in hundredths (the precision of ``MonthlyUsage``), prices in
ten-thousandths of a yuan (``Numeric(10,4)``), so every line amount is an exact integer of
millionths of a yuan (``BillLine.amount`` is ``Numeric(18,6)``) and the total is rounded
once, to the fen, half-up. The result is, bill for bill and line for line, what the
Decimal reference :func:`safegrid.tariffs.calculation.calculate` gives — a test compares
the two over thousands of random cases, boundaries included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from safegrid.tariffs.terms import LineKind, Structure, Terms

Ints = np.ndarray[Any, np.dtype[np.int64]]
Bools = np.ndarray[Any, np.dtype[np.bool_]]

KWH_SCALE = 100  # hundredths of a kWh
PRICE_SCALE = 10_000  # ten-thousandths of a yuan
AMOUNT_SCALE = KWH_SCALE * PRICE_SCALE  # millionths of a yuan
FEN_IN_AMOUNT = AMOUNT_SCALE // 100
_NO_LIMIT = np.int64(2**62)  # a tier limit no usage reaches: untiered tariffs
_STRUCTURES: tuple[Structure, ...] = tuple(Structure)
_KINDS: tuple[LineKind, ...] = tuple(LineKind)


def scaled(value: Decimal | None, scale: int, missing: int = -1) -> int:
    """An exact Decimal as an integer count of 1/scale; refuses finer precision."""
    if value is None:
        return missing
    units = value * scale
    if units != units.to_integral_value():
        raise ValueError(f"{value} has more precision than 1/{scale}")
    return int(units)


@dataclasses.dataclass(frozen=True)
class VersionTable:
    """The tariff versions of one run, one entry per version, in integer units."""

    structure: Ints  # index into Structure
    base: Ints
    peak: Ints  # -1: no TOU prices
    valley: Ints
    tier1: Ints  # hundredths of kWh; _NO_LIMIT when untiered
    tier2: Ints
    addon2: Ints
    addon3: Ints

    @classmethod
    def of(cls, terms: Sequence[Terms]) -> VersionTable:
        def col(values: list[int]) -> Ints:
            return np.array(values, dtype=np.int64)

        tou = [t.has_tou_prices for t in terms]
        return cls(
            structure=col([_STRUCTURES.index(t.structure) for t in terms]),
            base=col([scaled(t.base_price, PRICE_SCALE) for t in terms]),
            peak=col(
                [
                    scaled(t.peak_price, PRICE_SCALE) if ok else -1
                    for t, ok in zip(terms, tou, strict=True)
                ]
            ),
            valley=col(
                [
                    scaled(t.valley_price, PRICE_SCALE) if ok else -1
                    for t, ok in zip(terms, tou, strict=True)
                ]
            ),
            tier1=col([scaled(t.tier1_limit, KWH_SCALE, int(_NO_LIMIT)) for t in terms]),
            tier2=col([scaled(t.tier2_limit, KWH_SCALE, int(_NO_LIMIT)) for t in terms]),
            addon2=col([scaled(t.tier2_addon, PRICE_SCALE) for t in terms]),
            addon3=col([scaled(t.tier3_addon, PRICE_SCALE) for t in terms]),
        )


@dataclasses.dataclass(frozen=True)
class Usage:
    """One entry per bill to issue."""

    version: Ints  # index into the VersionTable
    kwh: Ints  # hundredths
    peak: Ints  # hundredths; 0 when not metered by time of use
    valley: Ints
    metered_tou: Bools
    prior: Ints  # hundredths already billed earlier in the tier year (or month)

    def __len__(self) -> int:
        return len(self.kwh)


@dataclasses.dataclass(frozen=True)
class Lines:
    bill: Ints  # index of the bill (into Usage) the line belongs to
    line_no: Ints  # 1-based within the bill, in LineKind order
    kind: Ints  # index into LineKind
    kwh: Ints
    price: Ints
    amount: Ints

    def __len__(self) -> int:
        return len(self.bill)


@dataclasses.dataclass(frozen=True)
class Computed:
    exact: Ints  # millionths of a yuan, before rounding
    fen: Ints  # the bill's amount, rounded once, half-up
    lines: Lines


class UsageProblem(ValueError):
    def __init__(self, message: str, rows: Ints) -> None:
        super().__init__(message)
        self.rows = rows


def round_to_fen(exact: Ints) -> Ints:
    """Half-up (away from zero on a tie), like ``Decimal.quantize(ROUND_HALF_UP)``."""
    half = FEN_IN_AMOUNT // 2
    magnitude = (np.abs(exact) + half) // FEN_IN_AMOUNT
    result: Ints = np.where(exact < 0, -magnitude, magnitude)
    return result


def compute(usage: Usage, table: VersionTable) -> Computed:
    """Lines and amounts of every bill; the same rules as ``calculate``, per column."""
    n = len(usage)
    structure = table.structure[usage.version]
    base = table.base[usage.version]
    tiered = structure <= _STRUCTURES.index(Structure.TIERED_MONTHLY)
    flat = structure == _STRUCTURES.index(Structure.FLAT)
    tou_only = structure == _STRUCTURES.index(Structure.TOU)
    bands = usage.metered_tou & (table.peak[usage.version] >= 0) & ~flat
    if np.any(bad := (usage.kwh < 0) | (usage.prior < 0) | (usage.peak < 0) | (usage.valley < 0)):
        raise UsageProblem("negative kWh", np.flatnonzero(bad))
    shoulder = usage.kwh - usage.peak - usage.valley
    if np.any(bad := bands & (shoulder < 0)):
        raise UsageProblem("peak + valley exceed the total kWh", np.flatnonzero(bad))
    if np.any(bad := tou_only & ~bands):
        raise UsageProblem("time-of-use tariff without peak/valley kWh", np.flatnonzero(bad))

    start, end = usage.prior, usage.prior + usage.kwh
    t1, t2 = table.tier1[usage.version], table.tier2[usage.version]
    tier3 = np.maximum(0, end - np.maximum(start, t2))
    tier2 = np.maximum(0, np.minimum(end, t2) - np.maximum(start, t1))
    tier1 = usage.kwh - tier2 - tier3
    by_steps = tiered & ~bands
    always = np.ones(n, dtype=bool)
    # (kind, applies, kWh, price, shown even when zero) — in LineKind order.
    plan: list[tuple[LineKind, Bools, Ints, Ints, Bools]] = [
        (LineKind.TIER1, by_steps, tier1, base, always),
        (LineKind.TIER2, by_steps, tier2, base + table.addon2[usage.version], ~always),
        (LineKind.TIER3, by_steps, tier3, base + table.addon3[usage.version], ~always),
        (LineKind.FLAT, ~tiered & ~bands, usage.kwh, base, always),
        (LineKind.PEAK, bands, usage.peak, table.peak[usage.version], always),
        (LineKind.VALLEY, bands, usage.valley, table.valley[usage.version], always),
        (LineKind.SHOULDER, bands, shoulder, base, ~always),
        (LineKind.TIER2_ADDON, bands & tiered, tier2, table.addon2[usage.version], ~always),
        (LineKind.TIER3_ADDON, bands & tiered, tier3, table.addon3[usage.version], ~always),
    ]
    exact = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    parts: list[tuple[Ints, ...]] = []
    for kind, applies, kwh, price, mandatory in plan:
        shown = applies & (mandatory | (kwh != 0))
        rows = np.flatnonzero(shown)
        if rows.size == 0:
            continue
        amount = kwh[rows] * price[rows]
        exact[rows] += amount
        count[rows] += 1
        kind_index = np.full(rows.size, _KINDS.index(kind), dtype=np.int64)
        parts.append((rows, count[rows].copy(), kind_index, kwh[rows], price[rows], amount))
    columns = [np.concatenate([p[i] for p in parts]) if parts else _empty() for i in range(6)]
    order = np.lexsort((columns[1], columns[0]))  # by bill, then line number
    lines = Lines(*(c[order] for c in columns))
    return Computed(exact=exact, fen=round_to_fen(exact), lines=lines)


def _empty() -> Ints:
    return np.zeros(0, dtype=np.int64)


def line_kind(index: int) -> LineKind:
    return _KINDS[index]
