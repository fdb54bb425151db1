"""How each kind of bill line is described ("中文 / English"), stored with the line so a
bill explains itself in the API, the CLI and the console alike, whatever the tariff's
configuration becomes later."""

from __future__ import annotations

from decimal import Decimal

from safegrid.tariffs.terms import LineKind, Terms, ThresholdPeriod


def _kwh(value: Decimal | None) -> str:
    if value is None:
        return "?"
    return f"{value.normalize():f}"


def describe(kind: LineKind, terms: Terms, threshold_period: ThresholdPeriod | None) -> str:
    monthly = threshold_period == ThresholdPeriod.MONTHLY
    per_zh, per_en = ("月", "a month") if monthly else ("年", "a year")
    t1, t2 = _kwh(terms.tier1_limit), _kwh(terms.tier2_limit)
    texts = {
        LineKind.TIER1: f"第一档电量（{per_zh}用电{t1}千瓦时及以内） / Tier 1 (up to {t1} kWh {per_en})",
        LineKind.TIER2: f"第二档电量（超过{t1}至{t2}千瓦时） / Tier 2 (over {t1} up to {t2} kWh)",
        LineKind.TIER3: f"第三档电量（超过{t2}千瓦时） / Tier 3 (over {t2} kWh)",
        LineKind.FLAT: "电度电费 / Energy charge",
        LineKind.PEAK: "高峰时段电量 / Peak-hours energy",
        LineKind.VALLEY: "低谷时段电量 / Off-peak (valley) energy",
        LineKind.SHOULDER: "平时段电量 / Shoulder-hours energy",
        LineKind.TIER2_ADDON: f"第二档加价（超过{t1}至{t2}千瓦时） / Tier 2 surcharge (over {t1} up to {t2} kWh)",
        LineKind.TIER3_ADDON: f"第三档加价（超过{t2}千瓦时） / Tier 3 surcharge (over {t2} kWh)",
    }
    return texts[kind]
