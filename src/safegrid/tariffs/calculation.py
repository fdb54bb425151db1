"""The charge of one bill, line by line, in Decimal (BILL-3).

This is the reference definition of a bill's amount: the set-based bill run
(``safegrid.billing.run_engine``) must produce exactly what :func:`calculate` does, and a
test compares them over thousands of random cases. Lines keep their exact (unrounded)
amounts; the bill's total is their sum rounded once, to the fen, half-up.

Tiers are positions in the tier period: with ``prior`` kWh already billed in the tier year
(or month), this bill's kWh occupy ``(prior, prior + kwh]``; the part up to ``tier1_limit``
is tier 1, up to ``tier2_limit`` tier 2, the rest tier 3. So 2760 kWh in a year are all
tier 1 and the 2761st kWh is the first of tier 2.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from safegrid.platform.money import to_fen
from safegrid.tariffs.terms import TIER_OF, LineKind, Structure, Terms

ZERO = Decimal("0")


@dataclasses.dataclass(frozen=True)
class ChargeLine:
    kind: LineKind
    kwh: Decimal
    price: Decimal
    amount: Decimal  # kwh × price, exact

    @property
    def tier(self) -> int | None:
        return TIER_OF.get(self.kind)


@dataclasses.dataclass(frozen=True)
class Charge:
    lines: tuple[ChargeLine, ...]
    amount: Decimal  # sum of the lines, rounded once to the fen (half-up)

    @property
    def exact(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def tier_split(terms: Terms, kwh: Decimal, prior: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """kWh of this bill in tiers 1, 2 and 3, given ``prior`` kWh earlier in the tier period."""
    if terms.tier1_limit is None or terms.tier2_limit is None:
        return kwh, ZERO, ZERO
    start, end = prior, prior + kwh
    t1, t2 = terms.tier1_limit, terms.tier2_limit
    tier3 = max(ZERO, end - max(start, t2))
    tier2 = max(ZERO, min(end, t2) - max(start, t1))
    return kwh - tier2 - tier3, tier2, tier3


def _band_prices(terms: Terms) -> tuple[Decimal, Decimal] | None:
    if terms.peak_price is None or terms.valley_price is None:
        return None
    return terms.peak_price, terms.valley_price


def _line(kind: LineKind, kwh: Decimal, price: Decimal) -> ChargeLine:
    return ChargeLine(kind, kwh, price, kwh * price)


def calculate(
    terms: Terms,
    kwh: Decimal,
    peak_kwh: Decimal | None = None,
    valley_kwh: Decimal | None = None,
    prior_kwh_in_tier_year: Decimal = ZERO,
) -> Charge:
    """Price ``kwh`` (of which ``peak_kwh``/``valley_kwh`` for a time-of-use meter).

    A line is shown when it has kWh; the first line of each kind of bill (tier 1, flat,
    or the peak and valley bands) is always shown, so a zero bill still explains itself.
    """
    for name, value in (
        ("kwh", kwh),
        ("peak_kwh", peak_kwh),
        ("valley_kwh", valley_kwh),
        ("prior_kwh_in_tier_year", prior_kwh_in_tier_year),
    ):
        if isinstance(value, float):
            raise TypeError(f"{name} must be Decimal, not float")
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    metered_tou = peak_kwh is not None or valley_kwh is not None
    peak = peak_kwh or ZERO
    valley = valley_kwh or ZERO
    shoulder = kwh - peak - valley
    if shoulder < 0:
        raise ValueError("peak_kwh + valley_kwh exceed kwh")

    lines: list[tuple[ChargeLine, bool]] = []  # (line, shown even when zero)
    bands = _band_prices(terms) if metered_tou and terms.structure != Structure.FLAT else None
    use_bands = bands is not None
    if terms.structure == Structure.TOU and bands is None:
        raise ValueError("a time-of-use tariff needs peak and valley kWh")
    if bands is not None:
        lines.append((_line(LineKind.PEAK, peak, bands[0]), True))
        lines.append((_line(LineKind.VALLEY, valley, bands[1]), True))
        lines.append((_line(LineKind.SHOULDER, shoulder, terms.base_price), False))
    if terms.structure.tiered:
        tier1, tier2, tier3 = tier_split(terms, kwh, prior_kwh_in_tier_year)
        if use_bands:  # 先分时后阶梯: the bands priced all kWh; tiers add only the add-ons
            lines.append((_line(LineKind.TIER2_ADDON, tier2, terms.tier2_addon), False))
            lines.append((_line(LineKind.TIER3_ADDON, tier3, terms.tier3_addon), False))
        else:
            base = terms.base_price
            lines.append((_line(LineKind.TIER1, tier1, base), True))
            lines.append((_line(LineKind.TIER2, tier2, base + terms.tier2_addon), False))
            lines.append((_line(LineKind.TIER3, tier3, base + terms.tier3_addon), False))
    elif not use_bands:
        lines.append((_line(LineKind.FLAT, kwh, terms.base_price), True))

    shown = tuple(line for line, always in lines if always or line.kwh != 0)
    return Charge(shown, to_fen(sum((line.amount for line in shown), ZERO)))
