"""The plausible range of a reading, from the meter's own history (BILL-2, ADR 0036).

A meter's typical daily use is taken from its measured (not estimated) frozen months:
those of the same season — within one calendar month of the reading's month, in earlier
years — when there are at least ``MIN_SAMPLES`` of them, else its last ``RECENT_MONTHS``
months. The band is ``median ± K · MAD`` of those daily figures (MAD scaled by 1.4826 to
match a standard deviation, and never narrower than a tenth of the median or 0.1 kWh a
day, so a very steady meter is not flagged for every small change). Times the days since
the last reading, divided by the multiplier, it gives the register range shown to the
reader. A reading outside it asks for confirmation:

- ``backwards``: the register is lower than the last one (and not a rollover);
- ``zero``: the register did not move on a meter that normally uses ≥ 1 kWh a day;
- ``jump``: more than ``JUMP_FACTOR`` × the usual daily use (a misread digit, a wrong meter);
- ``outlier``: otherwise outside the band.

Computed set-based: the bands of a whole batch (a reading book, an import file, an AMI
feed, a terminal's upload) come from one query and numpy; the entry form is a batch of one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Float, case, cast, select

from safegrid.platform.uow import UnitOfWork
from safegrid.readings.context import CHUNK, columns, period_of_month
from safegrid.readings.frame import MISSING, IntArray
from safegrid.readings.models import MonthlyUsage
from safegrid.readings.sql_lists import in_ints

K: Final = 3.0
MAD_SCALE: Final = 1.4826
MIN_SPREAD_SHARE: Final = 0.1
MIN_SPREAD_C: Final = 10.0  # hundredths of a kWh a day
HISTORY_MONTHS: Final = 24
RECENT_MONTHS: Final = 6
SEASON_REACH: Final = 1  # calendar months either side
MIN_SAMPLES: Final = 3
JUMP_FACTOR: Final = 5.0
# The band comes from monthly averages; a reading over fewer days averages fewer days and
# varies more (a single AMI day: weather, a weekend), so below this span the band's
# half-width grows by sqrt(FULL_SPAN_DAYS / days) — about 3.2 times for one day.
FULL_SPAN_DAYS: Final = 10
ZERO_MIN_MEDIAN_C: Final = 100.0
KINDS: Final = ("outlier", "jump", "zero", "backwards")
# judge_many's answer per reading: an index into KINDS, or NONE (plausible).
NONE: Final = -1
FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Band:
    """Typical daily use in hundredths of a kWh: median and the plausible low/high."""

    median_c: float
    low_c: float
    high_c: float
    samples: int
    seasonal: bool


@dataclasses.dataclass(frozen=True)
class Bands:
    """Bands of many readings as parallel arrays; NaN where a meter has no history."""

    median_c: FloatArray
    low_c: FloatArray
    high_c: FloatArray
    samples: IntArray
    seasonal: npt.NDArray[np.bool_]

    def band(self, i: int) -> Band | None:
        if np.isnan(self.median_c[i]):
            return None
        return Band(
            float(self.median_c[i]),
            float(self.low_c[i]),
            float(self.high_c[i]),
            int(self.samples[i]),
            bool(self.seasonal[i]),
        )


def _month_days(month: int) -> int:
    period = period_of_month(month)
    nxt = period_of_month(month + 1)
    return (date.fromisoformat(f"{nxt}-01") - date.fromisoformat(f"{period}-01")).days


def _nanmedian(rows: FloatArray, count: IntArray) -> FloatArray:
    """Median of each row over its ``count`` non-NaN values (count > 0): a sort puts the
    NaNs last, so the middle is indexed directly — numpy's nanmedian goes through masked
    arrays, ten times slower on a batch's many short rows."""
    ordered = np.sort(rows, axis=1)
    r = np.arange(len(rows))
    out: FloatArray = (ordered[r, (count - 1) // 2] + ordered[r, count // 2]) / 2
    return out


def _band_rows(rates: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
    """Median, low and high of each row of daily rates (NaN: no sample), and its samples."""
    samples = (~np.isnan(rates)).sum(axis=1).astype(np.int64)
    n = len(rates)
    median, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    has = samples > 0
    if has.any():
        r, k = rates[has], samples[has]
        med = _nanmedian(r, k)
        mad = _nanmedian(np.abs(r - med[:, None]), k) * MAD_SCALE
        spread = np.maximum(np.maximum(mad, med * MIN_SPREAD_SHARE), MIN_SPREAD_C)
        median[has], low[has], high[has] = med, np.maximum(0.0, med - K * spread), med + K * spread
    return median, low, high, samples


def _band(rates: list[float], seasonal: bool) -> Band:
    median, low, high, samples = _band_rows(np.array([rates], float))
    return Band(float(median[0]), float(low[0]), float(high[0]), int(samples[0]), seasonal)


def _history(
    uow: UnitOfWork, meter_ids: list[int], first: int, last: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """(meter id, month, kWh) of measured frozen months ``first``..``last``, as numpy
    columns straight from the cursor. Like validation's lookups, this path adds no row
    scope: callers pass meter ids that came out of a scoped query."""
    age = case({period_of_month(m): m for m in range(first, last + 1)}, value=MonthlyUsage.period)
    ids, months, kwh = [], [], []
    for start in range(0, len(meter_ids), CHUNK):
        i, m, k = columns(
            uow,
            select(MonthlyUsage.meter_id, age, cast(MonthlyUsage.kwh, Float)).where(
                in_ints(MonthlyUsage.meter_id, meter_ids[start : start + CHUNK]),
                MonthlyUsage.period >= period_of_month(first),
                MonthlyUsage.period <= period_of_month(last),
                MonthlyUsage.estimated.is_(False),
            ),
            3,
            float,
        )
        ids.append(i)
        months.append(m)
        kwh.append(k)
    return (
        np.concatenate(ids).astype(np.int64),
        np.concatenate(months).astype(np.int64),
        np.concatenate(kwh).astype(float),
    )


def band_arrays(uow: UnitOfWork, meter_ids: IntArray, months: IntArray) -> Bands:
    """The band of each reading ``i`` — meter ``meter_ids[i]`` read in month ``months[i]``
    (months since 1970-01) — from one query over the batch's meters (inside ``uow``)."""
    n = len(meter_ids)
    out = Bands(
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.zeros(n, np.int64),
        np.zeros(n, bool),
    )
    if not n:
        return out
    lo, hi = int(months.min()) - HISTORY_MONTHS, int(months.max()) - 1
    ids, at = np.unique(meter_ids, return_inverse=True)
    rates = np.full((len(ids), hi - lo + 1), np.nan)
    found, month, kwh = _history(uow, ids.tolist(), lo, hi)
    if not len(found):
        return out
    meter = np.searchsorted(ids, found)
    days = np.array([_month_days(m) for m in range(lo, hi + 1)], float)
    rates[meter, month - lo] = kwh * 100 / days[month - lo]
    span = np.arange(lo, hi + 1)
    for target in np.unique(months).tolist():
        mine = np.flatnonzero(months == target)
        # Once per meter (a batch may hold a month of days per meter), then spread.
        meters, each = np.unique(at[mine], return_inverse=True)
        before = (span >= target - HISTORY_MONTHS) & (span <= target - 1)
        reach = np.minimum((span - target) % 12, (target - span) % 12) <= SEASON_REACH
        season = before & reach & (span <= target - 12 + SEASON_REACH)
        recent = before & (span >= target - RECENT_MONTHS)
        history = rates[meters]
        s_med, s_low, s_high, s_n = _band_rows(np.where(season, history, np.nan))
        r_med, r_low, r_high, r_n = _band_rows(np.where(recent, history, np.nan))
        seasonal = s_n >= MIN_SAMPLES
        out.median_c[mine] = np.where(seasonal, s_med, r_med)[each]
        out.low_c[mine] = np.where(seasonal, s_low, r_low)[each]
        out.high_c[mine] = np.where(seasonal, s_high, r_high)[each]
        out.samples[mine] = np.where(seasonal, s_n, r_n)[each]
        out.seasonal[mine] = seasonal[each]
    return out


def bands(uow: UnitOfWork, meter_ids: Sequence[int], day: date) -> dict[int, Band]:
    """Per meter with history, the band for a reading on ``day`` (inside ``uow``)."""
    ids = np.array(list(meter_ids), np.int64)
    month = (day.year - 1970) * 12 + day.month - 1
    found = band_arrays(uow, ids, np.full(len(ids), month, np.int64))
    out = {}
    for i, meter_id in enumerate(ids.tolist()):
        band = found.band(i)
        if band is not None:
            out[meter_id] = band
    return out


def widening(days: IntArray) -> FloatArray:
    """How much wider than the monthly band a span of ``days`` days is judged."""
    out: FloatArray = np.sqrt(FULL_SPAN_DAYS / np.clip(days, 1, FULL_SPAN_DAYS))
    return out


def judge_many(bands: Bands, kwh_c: IntArray, days: IntArray) -> IntArray:
    """What is abnormal about each reading whose energy since the last one is ``kwh_c``
    hundredths of a kWh over ``days`` days (multiplier applied, a rollover unwrapped by
    validation): an index into :data:`KINDS`, or :data:`NONE`. Backwards registers are
    validation's to tell (from a rollover); the caller adds them."""
    out = np.full(len(kwh_c), NONE, np.int64)
    known = ~np.isnan(bands.median_c) & (kwh_c != MISSING) & (days > 0)
    if not known.any():
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(known, kwh_c / np.maximum(days, 1), np.nan)
        half = (bands.high_c - bands.median_c) * widening(days)
        low, high = np.maximum(0.0, bands.median_c - half), bands.median_c + half
        zero = known & (rate == 0) & (bands.median_c >= ZERO_MIN_MEDIAN_C)
        jump = (
            known
            & ~zero
            & (rate > JUMP_FACTOR * np.maximum(bands.median_c, MIN_SPREAD_C))
            & (rate > high)
        )
        outlier = known & ~zero & ~jump & ((rate < low) | (rate > high))
    out[outlier] = KINDS.index("outlier")
    out[jump] = KINDS.index("jump")
    out[zero] = KINDS.index("zero")
    return out


def register_range(
    band: Band | None, previous: Decimal | None, days: int, multiplier: int
) -> tuple[Decimal, Decimal] | None:
    """The total-register range for a reading ``days`` after ``previous``."""
    if band is None or previous is None or days <= 0:
        return None
    per = Decimal(days) / Decimal(100 * multiplier)
    low_c, high_c = band.low_c, band.high_c
    if days < FULL_SPAN_DAYS:
        half = (band.high_c - band.median_c) * float(widening(np.array([days]))[0])
        low_c, high_c = max(0.0, band.median_c - half), band.median_c + half
    low = previous + (Decimal(str(low_c)) * per).quantize(Decimal("0.01"))
    high = previous + (Decimal(str(high_c)) * per).quantize(Decimal("0.01"))
    return low, high


def judge(band: Band | None, kwh: Decimal | None, days: int, *, backwards: bool) -> list[str]:
    """:func:`judge_many` for one reading (a batch of one); ``backwards`` comes from
    validation, which alone tells a rollover from a register that went down."""
    if backwards:
        return ["backwards"]
    if band is None or kwh is None:
        return []
    one = Bands(
        np.array([band.median_c]),
        np.array([band.low_c]),
        np.array([band.high_c]),
        np.array([band.samples]),
        np.array([band.seasonal]),
    )
    kwh_c = np.array([int((kwh * 100).to_integral_value())], np.int64)
    code = int(judge_many(one, kwh_c, np.array([days], np.int64))[0])
    return [] if code == NONE else [KINDS[code]]
