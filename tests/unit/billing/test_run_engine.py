"""BILL-4: the vectorised bill-run arithmetic equals the Decimal reference ``calculate``,
bill for bill and line for line, over thousands of random cases and every boundary."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest

from safegrid.billing.run_engine import (
    AMOUNT_SCALE,
    KWH_SCALE,
    PRICE_SCALE,
    Usage,
    UsageProblem,
    VersionTable,
    compute,
    line_kind,
    round_to_fen,
)
from safegrid.tariffs.calculation import calculate
from safegrid.tariffs.terms import Structure, Terms

D = Decimal
TERMS = [
    Terms(
        structure=Structure.TIERED_ANNUAL,
        base_price=D("0.538"),
        peak_price=D("0.568"),
        valley_price=D("0.288"),
        tier1_limit=D(2760),
        tier2_limit=D(4800),
        tier2_addon=D("0.05"),
        tier3_addon=D("0.30"),
    ),
    Terms(
        structure=Structure.TIERED_MONTHLY,
        base_price=D("0.5283"),
        tier1_limit=D(230),
        tier2_limit=D(400),
        tier2_addon=D("0.05"),
        tier3_addon=D("0.30"),
    ),
    Terms(structure=Structure.FLAT, base_price=D("0.6664")),
    Terms(
        structure=Structure.TOU,
        base_price=D("0.6664"),
        peak_price=D("1.0178"),
        valley_price=D("0.3140"),
    ),
    Terms(  # odd prices: every rounding case of the fourth decimal
        structure=Structure.TIERED_ANNUAL,
        base_price=D("0.5385"),
        tier1_limit=D("2760.5"),
        tier2_limit=D("4800.25"),
        tier2_addon=D("0.0505"),
        tier3_addon=D("0.3001"),
    ),
]
BOUNDARIES = [D(0), D("0.01"), D(230), D("230.01"), D(400), D(2759), D(2760), D(2761),
              D("2760.5"), D(4799), D(4800), D(4801), D("4800.25")]  # fmt: skip


def _case(rng: random.Random) -> tuple[int, Decimal, Decimal | None, Decimal | None, Decimal]:
    version = rng.randrange(len(TERMS))
    pick = rng.random()
    if pick < 0.3:  # land on or around a threshold, from this bill or the prior ones
        edge = rng.choice(BOUNDARIES)
        prior = D(rng.randrange(0, int(edge) + 1)) if rng.random() < 0.5 else D(0)
        kwh = max(edge - prior, D(0))
    else:
        kwh = D(rng.randrange(0, 700_000)) / 100
        prior = D(rng.randrange(0, 600_000)) / 100 if rng.random() < 0.7 else D(0)
    tou = TERMS[version].structure == Structure.TOU or rng.random() < 0.4
    if not tou:
        return version, kwh, None, None, prior
    peak = (kwh * D(rng.randrange(0, 101)) / 100).quantize(D("0.01"), rounding="ROUND_DOWN")
    rest = kwh - peak
    valley = rest if rng.random() < 0.5 else (rest / 2).quantize(D("0.01"), rounding="ROUND_DOWN")
    return version, kwh, peak, valley, prior


def _ints(values: list[Decimal | None], scale: int) -> np.ndarray:
    return np.array([int((v or D(0)) * scale) for v in values], dtype=np.int64)


def test_bill_4_vectorised_run_equals_calculate_on_random_and_boundary_cases() -> None:
    rng = random.Random(20261001)
    cases = [_case(rng) for _ in range(5000)]
    usage = Usage(
        version=np.array([c[0] for c in cases], dtype=np.int64),
        kwh=_ints([c[1] for c in cases], KWH_SCALE),
        peak=_ints([c[2] for c in cases], KWH_SCALE),
        valley=_ints([c[3] for c in cases], KWH_SCALE),
        metered_tou=np.array([c[2] is not None for c in cases]),
        prior=_ints([c[4] for c in cases], KWH_SCALE),
    )
    result = compute(usage, VersionTable.of(TERMS))
    lines = result.lines
    starts = np.searchsorted(lines.bill, np.arange(len(cases)))
    ends = np.searchsorted(lines.bill, np.arange(len(cases)), side="right")
    crossed = 0
    for i, (version, kwh, peak, valley, prior) in enumerate(cases):
        expected = calculate(TERMS[version], kwh, peak, valley, prior)
        assert D(int(result.fen[i])) / 100 == expected.amount, (i, cases[i])
        assert D(int(result.exact[i])) / AMOUNT_SCALE == expected.exact
        got = [
            (
                line_kind(int(lines.kind[j])),
                D(int(lines.kwh[j])) / KWH_SCALE,
                D(int(lines.price[j])) / PRICE_SCALE,
                D(int(lines.amount[j])) / AMOUNT_SCALE,
                int(lines.line_no[j]),
            )
            for j in range(starts[i], ends[i])
        ]
        want = [
            (line.kind, line.kwh, line.price, line.amount, n)
            for n, line in enumerate(expected.lines, start=1)
        ]
        assert got == want, (i, cases[i])
        crossed += len(want) > 1
    assert crossed > 1000  # the cases really do cross tiers and split bands


def test_bill_4_round_to_fen_is_half_up_both_signs() -> None:
    exact = np.array([5_000, 4_999, 15_000, -5_000, -4_999, 0, 1_734_000_000], dtype=np.int64)
    assert round_to_fen(exact).tolist() == [1, 0, 2, -1, 0, 0, 173_400]


def test_bill_4_engine_names_the_rows_it_cannot_bill() -> None:
    usage = Usage(
        version=np.array([0, 3, 0], dtype=np.int64),
        kwh=np.array([100, 100, 100], dtype=np.int64),
        peak=np.array([0, 0, 80], dtype=np.int64),
        valley=np.array([0, 0, 30], dtype=np.int64),
        metered_tou=np.array([False, False, True]),
        prior=np.zeros(3, dtype=np.int64),
    )
    with pytest.raises(UsageProblem) as problem:
        compute(usage, VersionTable.of(TERMS))
    assert problem.value.rows.tolist() == [2]  # peak + valley > kWh is checked first
