"""BILL-3: the residential tiered and time-of-use examples of the issue, the tier
boundaries, the monthly-threshold variant, flat and TOU business prices, and properties
that must hold for any usage (splitting a year into months, monotonicity, one rounding)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safegrid.tariffs.calculation import calculate, tier_split
from safegrid.tariffs.terms import LineKind, Structure, Terms

D = Decimal
ZJ_RESIDENTIAL = Terms(
    structure=Structure.TIERED_ANNUAL,
    base_price=D("0.538"),
    peak_price=D("0.568"),
    valley_price=D("0.288"),
    tier1_limit=D("2760"),
    tier2_limit=D("4800"),
    tier2_addon=D("0.05"),
    tier3_addon=D("0.30"),
)
MONTHLY = Terms(
    structure=Structure.TIERED_MONTHLY,
    base_price=D("0.5283"),
    tier1_limit=D("230"),
    tier2_limit=D("400"),
    tier2_addon=D("0.05"),
    tier3_addon=D("0.30"),
)
FLAT = Terms(structure=Structure.FLAT, base_price=D("0.6664"))
BUSINESS_TOU = Terms(
    structure=Structure.TOU,
    base_price=D("0.6664"),
    peak_price=D("1.0178"),
    valley_price=D("0.3140"),
)


def _kinds(charge: object) -> list[tuple[str, Decimal, Decimal]]:
    return [(str(line.kind), line.kwh, line.price) for line in charge.lines]  # type: ignore[attr-defined]


def test_bill_3_example_2700_prior_then_300_is_173_40() -> None:
    charge = calculate(ZJ_RESIDENTIAL, D(300), prior_kwh_in_tier_year=D(2700))
    assert charge.amount == D("173.40")
    assert _kinds(charge) == [
        ("tier1", D(60), D("0.538")),
        ("tier2", D(240), D("0.588")),
    ]
    assert [line.tier for line in charge.lines] == [1, 2]


def test_bill_3_example_5000_kwh_year_in_one_period_is_2852_00() -> None:
    charge = calculate(ZJ_RESIDENTIAL, D(5000))
    assert charge.amount == D("2852.00")
    assert _kinds(charge) == [
        ("tier1", D(2760), D("0.538")),
        ("tier2", D(2040), D("0.588")),
        ("tier3", D(200), D("0.838")),
    ]


def test_bill_3_example_tou_200_peak_100_valley_after_2700_is_154_40() -> None:
    charge = calculate(ZJ_RESIDENTIAL, D(300), D(200), D(100), prior_kwh_in_tier_year=D(2700))
    assert charge.amount == D("154.40")
    # 先分时后阶梯: the bands price every kWh, then the tier-2 add-on on the 240 kWh past 2760.
    assert _kinds(charge) == [
        ("peak", D(200), D("0.568")),
        ("valley", D(100), D("0.288")),
        ("tier2_addon", D(240), D("0.05")),
    ]


def test_bill_3_tier_boundary_2760_all_tier_1() -> None:
    charge = calculate(ZJ_RESIDENTIAL, D(2760))
    assert _kinds(charge) == [("tier1", D(2760), D("0.538"))]
    assert charge.amount == D("1484.88")


def test_bill_3_tier_boundary_2761_puts_1_kwh_in_tier_2() -> None:
    charge = calculate(ZJ_RESIDENTIAL, D(2761))
    assert _kinds(charge) == [("tier1", D(2760), D("0.538")), ("tier2", D(1), D("0.588"))]
    # Across two bills: the 2761st kWh of the year is tier 2 wherever it falls.
    later = calculate(ZJ_RESIDENTIAL, D(1), prior_kwh_in_tier_year=D(2760))
    assert _kinds(later) == [("tier1", D(0), D("0.538")), ("tier2", D(1), D("0.588"))]


def test_bill_3_tier_boundary_4800_and_4801() -> None:
    assert tier_split(ZJ_RESIDENTIAL, D(4800), D(0)) == (D(2760), D(2040), D(0))
    assert tier_split(ZJ_RESIDENTIAL, D(4801), D(0)) == (D(2760), D(2040), D(1))
    assert tier_split(ZJ_RESIDENTIAL, D(10), D(4795)) == (D(0), D(5), D(5))


def test_bill_3_monthly_thresholds_variant() -> None:
    # Each month stands alone: 500 kWh is 230 in tier 1, 170 in tier 2, 100 in tier 3.
    charge = calculate(MONTHLY, D(500))
    assert _kinds(charge) == [
        ("tier1", D(230), D("0.5283")),
        ("tier2", D(170), D("0.5783")),
        ("tier3", D(100), D("0.8283")),
    ]
    # 230×0.5283 + 170×0.5783 + 100×0.8283 = 121.509 + 98.311 + 82.83 = 302.65
    assert charge.amount == D("302.65")


def test_bill_3_rounded_once_to_the_fen_half_up() -> None:
    # 1 kWh at 0.5385 would be 0.54 (half-up); lines keep the exact amount.
    terms = Terms(structure=Structure.FLAT, base_price=D("0.5385"))
    charge = calculate(terms, D(1))
    assert charge.lines[0].amount == D("0.5385")
    assert charge.amount == D("0.54")
    # Three lines of x.xx5 each would gain 1.5 fen if rounded one by one; rounded once they don't.
    charge = calculate(MONTHLY, D("230.05"))  # tier 1 230 kWh, tier 2 0.05 kWh
    exact = D(230) * D("0.5283") + D("0.05") * D("0.5783")
    assert charge.exact == exact
    assert charge.amount == exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")


def test_bill_3_flat_and_business_tou() -> None:
    assert calculate(FLAT, D(1000)).amount == D("666.40")
    assert _kinds(calculate(FLAT, D(1000), D(600), D(400))) == [("flat", D(1000), D("0.6664"))]
    charge = calculate(BUSINESS_TOU, D(1000), D(400), D(350))
    assert _kinds(charge) == [
        ("peak", D(400), D("1.0178")),
        ("valley", D(350), D("0.3140")),
        ("shoulder", D(250), D("0.6664")),
    ]
    assert charge.amount == D("683.62")  # 407.12 + 109.90 + 166.60


def test_bill_3_tou_tariff_refuses_usage_without_bands() -> None:
    with pytest.raises(ValueError, match="peak and valley"):
        calculate(BUSINESS_TOU, D(100))


def test_bill_3_zero_usage_still_explains_itself() -> None:
    assert _kinds(calculate(ZJ_RESIDENTIAL, D(0))) == [("tier1", D(0), D("0.538"))]
    assert _kinds(calculate(ZJ_RESIDENTIAL, D(0), D(0), D(0))) == [
        ("peak", D(0), D("0.568")),
        ("valley", D(0), D("0.288")),
    ]
    assert calculate(FLAT, D(0)).amount == D("0.00")


@pytest.mark.parametrize(
    ("kwh", "peak", "valley", "prior", "problem"),
    [
        (D(-1), None, None, D(0), "kwh must not be negative"),
        (D(10), D(8), D(3), D(0), "exceed kwh"),
        (D(10), None, None, D(-5), "prior_kwh_in_tier_year must not be negative"),
    ],
)
def test_bill_3_bad_usage_is_refused(
    kwh: Decimal, peak: Decimal | None, valley: Decimal | None, prior: Decimal, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        calculate(ZJ_RESIDENTIAL, kwh, peak, valley, prior)


def test_bill_3_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        calculate(ZJ_RESIDENTIAL, 300.0)  # type: ignore[arg-type]


def test_bill_3_terms_problems_name_the_field() -> None:
    bad = Terms(structure=Structure.TIERED_ANNUAL, base_price=D("0.5"), tier1_limit=D(10))
    assert [f for f, _ in bad.problems()] == ["tier1_limit"]
    bad = Terms(
        structure=Structure.TIERED_ANNUAL,
        base_price=D("0.5"),
        tier1_limit=D(4800),
        tier2_limit=D(2760),
    )
    assert [f for f, _ in bad.problems()] == ["tier2_limit"]
    assert [f for f, _ in Terms(structure=Structure.TOU, base_price=D(1)).problems()] == [
        "peak_price"
    ]
    assert ZJ_RESIDENTIAL.problems() == []


kwh_values = st.decimals(min_value=0, max_value=6000, places=2, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(months=st.lists(kwh_values, min_size=1, max_size=12))
def test_bill_3_property_months_add_up_to_the_year(months: list[Decimal]) -> None:
    """Billing a year month by month costs what billing it at once does: exactly before
    rounding, and within half a fen per bill after it."""
    prior = D(0)
    exact_total = D(0)
    rounded_total = D(0)
    for kwh in months:
        charge = calculate(ZJ_RESIDENTIAL, kwh, prior_kwh_in_tier_year=prior)
        exact_total += charge.exact
        rounded_total += charge.amount
        prior += kwh
    whole = calculate(ZJ_RESIDENTIAL, prior)
    assert exact_total == whole.exact
    assert abs(rounded_total - whole.amount) <= D("0.005") * (len(months) + 1)


@settings(max_examples=300, deadline=None)
@given(kwh=kwh_values, extra=kwh_values, prior=kwh_values)
def test_bill_3_property_amount_is_monotone_in_kwh(
    kwh: Decimal, extra: Decimal, prior: Decimal
) -> None:
    smaller = calculate(ZJ_RESIDENTIAL, kwh, prior_kwh_in_tier_year=prior)
    larger = calculate(ZJ_RESIDENTIAL, kwh + extra, prior_kwh_in_tier_year=prior)
    assert larger.amount >= smaller.amount
    # …and in prior usage: the same kWh later in the year never costs less.
    later = calculate(ZJ_RESIDENTIAL, kwh, prior_kwh_in_tier_year=prior + extra)
    assert later.amount >= smaller.amount


@settings(max_examples=300, deadline=None)
@given(
    peak=kwh_values,
    valley=kwh_values,
    shoulder=kwh_values,
    prior=kwh_values,
)
def test_bill_3_property_tou_lines_add_up_and_tiers_partition(
    peak: Decimal, valley: Decimal, shoulder: Decimal, prior: Decimal
) -> None:
    kwh = peak + valley + shoulder
    charge = calculate(ZJ_RESIDENTIAL, kwh, peak, valley, prior)
    band_kwh = sum(
        (line.kwh for line in charge.lines if line.kind in {"peak", "valley", "shoulder"}), D(0)
    )
    assert band_kwh == kwh
    t1, t2, t3 = tier_split(ZJ_RESIDENTIAL, kwh, prior)
    assert t1 + t2 + t3 == kwh
    assert min(t1, t2, t3) >= 0
    addons = {line.kind: line.kwh for line in charge.lines if line.kind.endswith("addon")}
    assert addons.get(LineKind.TIER2_ADDON, D(0)) == t2
    assert addons.get(LineKind.TIER3_ADDON, D(0)) == t3
    assert charge.amount == charge.exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")
