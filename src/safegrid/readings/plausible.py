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

Computed for a whole reading book in one query; the entry form is a book of one.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from safegrid.platform.uow import UnitOfWork
from safegrid.readings.context import month_of_period, period_of_month
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
ZERO_MIN_MEDIAN_C: Final = 100.0
KINDS: Final = ("outlier", "jump", "zero", "backwards")


@dataclasses.dataclass(frozen=True)
class Band:
    """Typical daily use in hundredths of a kWh: median and the plausible low/high."""

    median_c: float
    low_c: float
    high_c: float
    samples: int
    seasonal: bool


def _month_days(month: int) -> int:
    period = period_of_month(month)
    nxt = period_of_month(month + 1)
    return (date.fromisoformat(f"{nxt}-01") - date.fromisoformat(f"{period}-01")).days


def _band(rates: list[float], seasonal: bool) -> Band:
    median = statistics.median(rates)
    mad = statistics.median(abs(r - median) for r in rates) * MAD_SCALE
    spread = max(mad, median * MIN_SPREAD_SHARE, MIN_SPREAD_C)
    return Band(median, max(0.0, median - K * spread), median + K * spread, len(rates), seasonal)


def bands(uow: UnitOfWork, meter_ids: Sequence[int], day: date) -> dict[int, Band]:
    """Per meter with history, the band for a reading on ``day`` (inside ``uow``)."""
    if not meter_ids:
        return {}
    month = (day.year - 1970) * 12 + day.month - 1
    first = period_of_month(month - HISTORY_MONTHS)
    last = period_of_month(month - 1)
    rows = uow.session.execute(  # the ORM session: the row scope applies
        select(MonthlyUsage.meter_id, MonthlyUsage.period, MonthlyUsage.kwh).where(
            in_ints(MonthlyUsage.meter_id, list(meter_ids)),
            MonthlyUsage.period >= first,
            MonthlyUsage.period <= last,
            MonthlyUsage.estimated.is_(False),
        )
    ).all()
    history: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for meter_id, period, kwh in rows:
        m = month_of_period(period)
        history[int(meter_id)].append((m, float(kwh) * 100 / _month_days(m)))
    out = {}
    for meter_id, months in history.items():
        season = [
            rate
            for m, rate in months
            if min((m - month) % 12, (month - m) % 12) <= SEASON_REACH
            and m <= month - 12 + SEASON_REACH
        ]
        if len(season) >= MIN_SAMPLES:
            out[meter_id] = _band(season, True)
        else:
            recent = [rate for m, rate in months if m >= month - RECENT_MONTHS]
            if recent:
                out[meter_id] = _band(recent, False)
    return out


def register_range(
    band: Band | None, previous: Decimal | None, days: int, multiplier: int
) -> tuple[Decimal, Decimal] | None:
    """The total-register range for a reading ``days`` after ``previous``."""
    if band is None or previous is None or days <= 0:
        return None
    per = Decimal(days) / Decimal(100 * multiplier)
    low = previous + (Decimal(str(band.low_c)) * per).quantize(Decimal("0.01"))
    high = previous + (Decimal(str(band.high_c)) * per).quantize(Decimal("0.01"))
    return low, high


def judge(band: Band | None, kwh: Decimal | None, days: int, *, backwards: bool) -> list[str]:
    """What is abnormal about a reading whose energy since the last one is ``kwh``
    (multiplier applied, a rollover unwrapped by validation); empty: plausible.
    ``backwards`` comes from validation, which alone tells a rollover from a register
    that went down."""
    if backwards:
        return ["backwards"]
    if band is None or kwh is None or days <= 0:
        return []
    rate_c = float(kwh) * 100 / days
    if rate_c == 0 and band.median_c >= ZERO_MIN_MEDIAN_C:
        return ["zero"]
    if rate_c > JUMP_FACTOR * max(band.median_c, MIN_SPREAD_C) and rate_c > band.high_c:
        return ["jump"]
    if rate_c < band.low_c or rate_c > band.high_c:
        return ["outlier"]
    return []
