"""What a tariff version says, free of storage: the prices and thresholds a charge is
computed from (BILL-3). Both the database rows and the tests hand these to
:func:`safegrid.tariffs.calculation.calculate`.
"""

from __future__ import annotations

import dataclasses
import enum
from decimal import Decimal


class Category(enum.StrEnum):
    """The account's tariff category (``Account.tariff_category``)."""

    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"


class Structure(enum.StrEnum):
    TIERED_ANNUAL = "tiered_annual"  # 年阶梯 (Zhejiang): thresholds per tier year
    TIERED_MONTHLY = "tiered_monthly"  # 月阶梯 (other provinces): thresholds per month
    FLAT = "flat"  # 单一电价
    TOU = "tou"  # 峰谷分时, no tiers (general industry & commerce)

    @property
    def tiered(self) -> bool:
        return self in (Structure.TIERED_ANNUAL, Structure.TIERED_MONTHLY)


class ThresholdPeriod(enum.StrEnum):
    ANNUAL = "annual"
    MONTHLY = "monthly"


class LineKind(enum.StrEnum):
    """One line of a bill. The order of the members is the order of the lines."""

    TIER1 = "tier1"
    TIER2 = "tier2"
    TIER3 = "tier3"
    FLAT = "flat"
    PEAK = "peak"
    VALLEY = "valley"
    SHOULDER = "shoulder"  # 平段: kWh of a TOU account outside peak and valley
    TIER2_ADDON = "tier2_addon"
    TIER3_ADDON = "tier3_addon"


TIER_OF: dict[LineKind, int] = {
    LineKind.TIER1: 1,
    LineKind.TIER2: 2,
    LineKind.TIER3: 3,
    LineKind.TIER2_ADDON: 2,
    LineKind.TIER3_ADDON: 3,
}


@dataclasses.dataclass(frozen=True)
class Terms:
    """Prices in yuan/kWh (4 decimals), thresholds in kWh.

    ``base_price`` is the single-rate price: the tier-1 price of a tiered tariff, the flat
    price, and the shoulder-band price of a time-of-use bill. Tier 2 and 3 cost
    ``base + tier2_addon`` / ``base + tier3_addon``; a time-of-use bill under a tiered
    tariff pays its band prices first and the add-ons on top (先分时后阶梯).
    """

    structure: Structure
    base_price: Decimal
    peak_price: Decimal | None = None
    valley_price: Decimal | None = None
    tier1_limit: Decimal | None = None  # tier 1 is kWh ≤ tier1_limit in the tier period
    tier2_limit: Decimal | None = None  # tier 2 is tier1_limit < kWh ≤ tier2_limit
    tier2_addon: Decimal = Decimal("0")
    tier3_addon: Decimal = Decimal("0")

    @property
    def has_tou_prices(self) -> bool:
        return self.peak_price is not None and self.valley_price is not None

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for every inconsistency; empty when the terms can price a bill."""
        out: list[tuple[str, str]] = []
        prices = {
            "base_price": self.base_price,
            "peak_price": self.peak_price,
            "valley_price": self.valley_price,
            "tier2_addon": self.tier2_addon,
            "tier3_addon": self.tier3_addon,
        }
        for name, value in prices.items():
            if value is not None and value < 0:
                out.append((name, f"电价不能为负 / {name} must not be negative"))
        if (self.peak_price is None) != (self.valley_price is None):
            out.append(("peak_price", "峰谷电价须成对 / give both peak_price and valley_price"))
        if self.structure == Structure.TOU and not self.has_tou_prices:
            out.append(
                ("peak_price", "分时电价须有峰谷价 / a tou tariff needs peak and valley prices")
            )
        if self.structure.tiered:
            t1, t2 = self.tier1_limit, self.tier2_limit
            if t1 is None or t2 is None:
                out.append(("tier1_limit", "阶梯电价须有档位 / a tiered tariff needs tier limits"))
            elif not Decimal(0) < t1 < t2:
                out.append(
                    (
                        "tier2_limit",
                        "档位须 0 < 第一档 < 第二档 / need 0 < tier1_limit < tier2_limit",
                    )
                )
        elif self.tier1_limit is not None or self.tier2_limit is not None:
            out.append(("tier1_limit", "非阶梯电价不设档位 / only tiered tariffs have tier limits"))
        return out
