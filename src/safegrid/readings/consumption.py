"""Energy from registers (BILL-2): register difference × multiplier, with rollover.

A dial with five integer digits shows 99999.99 and then 00000.00. A new register lower
than the previous one is therefore either negative consumption (an error: wrong meter,
wrong digit, meter exchanged) or a rollover. It is taken as a rollover only when the
previous register stood in the top tenth of the dial and the new one in the bottom
tenth; the consumption is then ``new + limit − previous`` and the reading is flagged.
A dial has at least ``MIN_REGISTER_DIGITS`` integer digits; a larger reading proves more.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from safegrid.readings.context import Meters
from safegrid.readings.frame import MISSING, BoolArray, IntArray, Problems, ReadFrame, fmt_c

MIN_REGISTER_DIGITS: Final = 5
_POWERS: Final = 10 ** np.arange(MIN_REGISTER_DIGITS, 13, dtype=np.int64)
ROLLOVER_ZONE: Final = 0.1
# Peak + valley may differ from the total by 0.1 unit or 0.5 %, whichever is larger
# (the registers are read at slightly different instants and rounded separately).
TOU_TOLERANCE_C: Final = 10
TOU_TOLERANCE_SHARE: Final = 0.005

Energy = tuple[IntArray, IntArray, IntArray, IntArray, BoolArray, BoolArray]


def register_limit(register_c: IntArray) -> IntArray:
    """The value at which a dial showing ``register_c`` rolls over to zero, in hundredths."""
    whole = np.maximum(register_c, 0) // 100
    limit: IntArray = _POWERS[np.searchsorted(_POWERS, whole, side="right")] * 100
    return limit


def shift(values: IntArray, first: BoolArray, start: IntArray) -> IntArray:
    """The previous element within each meter's run; ``start`` for a run's first row."""
    out = np.empty_like(values)
    out[1:] = values[:-1]
    out[first] = start[first]
    return out


def difference(cur: IntArray, prev: IntArray) -> tuple[IntArray, BoolArray, BoolArray]:
    """``cur − prev`` in hundredths, unwrapped where a rollover is plausible.
    Returns (difference, rolled over, negative)."""
    has = (prev != MISSING) & (cur != MISSING)
    diff = np.where(has, cur - prev, 0)
    negative = has & (diff < 0)
    limit = register_limit(prev)
    zone = (limit * ROLLOVER_ZONE).astype(np.int64)
    rolled = negative & (prev >= limit - zone) & (cur < zone)
    return np.where(rolled, diff + limit, diff), rolled, negative & ~rolled


def _tolerance(use: IntArray) -> IntArray:
    return np.maximum(TOU_TOLERANCE_C, (np.abs(use) * TOU_TOLERANCE_SHARE).astype(np.int64))


def register_energy(
    frame: ReadFrame,
    problems: Problems,
    meters: Meters,
    seq: IntArray,
    sm: IntArray,
    first: BoolArray,
) -> Energy:
    """Registers read off the dial → (total, use in register units, peak kWh, valley kWh,
    rolled over, apportioned). ``use`` is MISSING for a meter's very first reading."""
    total = frame.total_c[seq]
    prev = shift(total, first, meters.prev_total_c[sm])
    use, rolled, negative = difference(total, prev)
    _negative(problems, seq, negative, total, prev, "total")
    use = np.where(prev != MISSING, use, MISSING)

    mult = meters.multiplier[sm]
    tou = meters.is_tou[sm]
    peak, valley = frame.peak_c[seq], frame.valley_c[seq]
    prev_peak = shift(peak, first, meters.prev_peak_c[sm])
    prev_valley = shift(valley, first, meters.prev_valley_c[sm])
    registers = tou & (peak != MISSING) & (valley != MISSING)
    known = registers & (use != MISSING) & (prev_peak != MISSING) & (prev_valley != MISSING)
    peak_use, peak_rolled, peak_negative = difference(peak, prev_peak)
    valley_use, valley_rolled, valley_negative = difference(valley, prev_valley)
    _negative(problems, seq, known & peak_negative, peak, prev_peak, "peak")
    _negative(problems, seq, known & valley_negative, valley, prev_valley, "valley")
    rolled = rolled | (known & (peak_rolled | valley_rolled))
    problems.note(
        seq[rolled],
        "total",
        "rollover",
        lambda i: (
            "示数翻转（走满归零），已按翻转计算电量 / register rolled over past its limit: "
            "consumption counted across the wrap"
        ),
    )
    gap = peak_use + valley_use - use
    mismatch = known & ~peak_negative & ~valley_negative & (np.abs(gap) > _tolerance(use))
    sums = dict(
        zip(seq[mismatch].tolist(), (peak_use + valley_use)[mismatch].tolist(), strict=True)
    )
    totals = dict(zip(seq[mismatch].tolist(), use[mismatch].tolist(), strict=True))
    problems.error(
        seq[mismatch],
        "peak",
        "tou_mismatch",
        lambda i: (
            f"峰谷电量之和 {fmt_c(sums[i])} 与总电量 {fmt_c(totals[i])} 不符 / peak + "
            f"valley ({fmt_c(sums[i])}) differ from the total ({fmt_c(totals[i])}) beyond tolerance"
        ),
    )
    # A first reading has no difference to check: its registers must at least fit the total.
    exceed = registers & (use == MISSING) & (peak + valley - total > _tolerance(total))
    problems.error(
        seq[exceed],
        "peak",
        "tou_exceeds",
        lambda i: "峰谷示数之和超过总示数 / peak + valley registers exceed the total register",
    )

    kwh = np.where(use != MISSING, use * mult, 0)
    peak_kwh = np.where(known, np.minimum(peak_use * mult, kwh), MISSING)
    # Registers known but not the previous peak/valley (the last reading was an AMI daily
    # register): split the energy in the proportion the dials have accumulated.
    apportioned = registers & (use != MISSING) & ~known
    dial = np.maximum(peak + valley, 1)
    share = np.rint(kwh * (peak / dial)).astype(np.int64)
    peak_kwh = np.where(apportioned, share, peak_kwh)
    problems.note(
        seq[apportioned],
        "peak",
        "apportioned",
        lambda i: (
            "上次无峰谷示数，峰谷电量按示数比例分摊 / no previous peak/valley registers: "
            "energy split in the registers' proportion"
        ),
    )
    valley_kwh = np.where(peak_kwh != MISSING, kwh - peak_kwh, MISSING)
    return total, use, peak_kwh, valley_kwh, rolled, apportioned


def _negative(
    problems: Problems, seq: IntArray, mask: BoolArray, cur: IntArray, prev: IntArray, field: str
) -> None:
    now = dict(zip(seq[mask].tolist(), cur[mask].tolist(), strict=True))
    before = dict(zip(seq[mask].tolist(), prev[mask].tolist(), strict=True))
    problems.error(
        seq[mask],
        field,
        "negative",
        lambda i: (
            f"示数 {fmt_c(now[i])} 小于上次 {fmt_c(before[i])}，电量为负 / register "
            f"{fmt_c(now[i])} is lower than the previous {fmt_c(before[i])}: negative consumption"
        ),
    )


def derived_registers(
    frame: ReadFrame,
    problems: Problems,
    meters: Meters,
    seq: IntArray,
    sm: IntArray,
    sd: IntArray,
    first: BoolArray,
    prev_day: IntArray,
) -> Energy:
    """AMI: each day's measured energy continues the meter's last stored register, so the
    days must follow it without a gap (a missing day would make every later register
    wrong)."""
    assert frame.use_c is not None
    assert frame.peak_use_c is not None
    use, peak_use = frame.use_c[seq], frame.peak_use_c[seq]
    base = meters.prev_total_c[sm]
    problems.error(
        seq[first & (base == MISSING)],
        "asset_no",
        "no_start",
        lambda i: (
            "该表没有起始示数，请先录入或导入一次读数 / the meter has no stored register to "
            "continue from: enter or import one reading first"
        ),
    )
    gap = (prev_day != MISSING) & (sd > prev_day + 1)
    problems.error(
        seq[gap],
        "read_on",
        "gap",
        lambda i: (
            "与上一日读数之间缺少日期 / days are missing before this one: interval data "
            "must follow the meter's last reading without gaps"
        ),
    )
    group = np.cumsum(first) - 1
    cum = np.cumsum(use)
    before_group = (cum - use)[first]
    start = np.maximum(base[first], 0)[group]
    unwrapped = start + cum - before_group[group]
    limit = register_limit(start)
    wraps = unwrapped // limit
    rolled = wraps > shift(wraps, first, np.zeros(len(seq), np.int64))
    problems.note(
        seq[rolled],
        "total",
        "rollover",
        lambda i: "示数翻转（走满归零） / the derived register rolled over past its limit",
    )
    mult = meters.multiplier[sm]
    tou = meters.is_tou[sm]
    peak_kwh = np.where(tou, peak_use * mult, MISSING)
    valley_kwh = np.where(tou, (use - peak_use) * mult, MISSING)
    return unwrapped % limit, use, peak_kwh, valley_kwh, rolled, np.zeros(len(seq), bool)
