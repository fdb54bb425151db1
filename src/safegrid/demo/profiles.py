"""Daily consumption profiles: how much a home, a shop or a factory uses on a given day.

Shapes follow what the grid sees in Zhejiang: homes peak in July–August with air
conditioning and rise again in the damp winter (heaters, no district heating south of
the Huai), dip in spring and autumn, and use a little more at weekends; factories run on
weekdays, idle over the Spring Festival and the golden weeks; shops are busier at
weekends. Everything is computed with numpy over a (meters × days) block, because the
demo draws 7 million readings and a Python loop per reading would take minutes.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import random
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Load(enum.IntEnum):
    """Index into the per-kind curves below."""

    RESIDENT = 0
    INDUSTRIAL = 1
    COMMERCIAL = 2


# Mid-month seasonal factors, interpolated to every day so the curve has no monthly steps.
_MONTHLY: dict[Load, tuple[float, ...]] = {
    #                Jan   Feb   Mar   Apr   May   Jun   Jul   Aug   Sep   Oct   Nov   Dec
    Load.RESIDENT: (1.30, 1.28, 0.95, 0.88, 0.90, 1.10, 1.65, 1.78, 1.20, 0.90, 0.95, 1.30),
    Load.INDUSTRIAL: (1.00, 0.98, 1.00, 1.00, 1.00, 1.05, 1.12, 1.15, 1.05, 1.00, 1.00, 1.02),
    Load.COMMERCIAL: (1.10, 1.05, 0.95, 0.92, 0.95, 1.12, 1.40, 1.45, 1.15, 0.95, 0.95, 1.08),
}

# Spring Festival (lunar new year's day); the dip around it has no solar-calendar rule.
_SPRING_FESTIVAL = {
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


@dataclasses.dataclass(frozen=True)
class Calendar:
    """Per-day arrays shared by every meter of a run."""

    days: list[date]
    weekend: FloatArray  # 1.0 on Saturday/Sunday
    season: FloatArray  # (kinds, days)
    holiday: FloatArray  # (kinds, days): Spring Festival and golden-week factors
    weather: FloatArray  # (days,) log-deviation shared by everyone: heat waves, cold snaps


def _season_curve(kind: Load, days: list[date]) -> FloatArray:
    monthly = np.array(_MONTHLY[kind])
    # Anchor each month's factor on its 15th, wrap December/January across the year end.
    anchors = np.array([date(2001, m, 15).timetuple().tm_yday for m in range(1, 13)], float)
    xs = np.concatenate([anchors - 365, anchors, anchors + 365])
    ys = np.concatenate([monthly, monthly, monthly])
    doy = np.array([min(d.timetuple().tm_yday, 365) for d in days], float)
    curve: FloatArray = np.interp(doy, xs, ys)
    return curve


def _festival_offset(day: date) -> int | None:
    """Days from the nearest Spring Festival, when one is known for that season."""
    offsets = [(day - sf).days for sf in _SPRING_FESTIVAL.values() if abs((day - sf).days) < 40]
    return offsets[0] if offsets else None


def _holiday_factor(kind: Load, day: date) -> float:
    offset = _festival_offset(day)
    if kind is Load.INDUSTRIAL:
        if offset is not None:
            # Migrant workers leave about ten days early and are back after the Lantern
            # Festival (day 15): a ramp down, a trough, a slower ramp up.
            if -12 <= offset < -3:
                return 1.0 - 0.75 * (offset + 12) / 9
            if -3 <= offset <= 7:
                return 0.25
            if 7 < offset <= 20:
                return 0.25 + 0.75 * (offset - 7) / 13
        golden_week = (day.month == 10 and day.day <= 7) or (day.month == 5 and day.day <= 5)
        return 0.7 if golden_week else 1.0
    if kind is Load.COMMERCIAL:
        return 0.6 if offset is not None and -1 <= offset <= 6 else 1.0
    # Homes: families gather and heat the house over the holiday.
    return 1.08 if offset is not None and -2 <= offset <= 7 else 1.0


def make_calendar(last_day: date, n_days: int, rng: np.random.Generator) -> Calendar:
    days = [last_day - timedelta(days=n_days - 1 - i) for i in range(n_days)]
    kinds = list(Load)
    # AR(1) weather: a hot week stays hot, so consumption moves together for everyone.
    shocks = rng.normal(0.0, 0.04, n_days)
    weather = np.empty(n_days)
    level = 0.0
    for i, shock in enumerate(shocks):
        level = 0.8 * level + shock
        weather[i] = level
    return Calendar(
        days=days,
        weekend=np.array([1.0 if d.weekday() >= 5 else 0.0 for d in days]),
        season=np.stack([_season_curve(k, days) for k in kinds]),
        holiday=np.array([[_holiday_factor(k, d) for d in days] for k in kinds]),
        weather=weather,
    )


@dataclasses.dataclass(frozen=True)
class LoadParams:
    """How one meter's customer uses energy."""

    kind: Load
    base_kwh: float  # typical spring weekday energy
    seasonality: float  # 1 = follows the kind's season curve fully, 0 = flat
    weekend: float  # weekend multiplier
    noise: float  # sd of the day-to-day log noise


def resident_params(rng: random.Random) -> LoadParams:
    """Homes: lognormal around ~7 kWh/day; a few empty flats only keep a fridge on."""
    if rng.random() < 0.03:
        return LoadParams(Load.RESIDENT, rng.uniform(0.2, 0.8), 0.0, 1.0, 0.1)
    # Median 6.2 with sigma 0.5 gives a mean of ~7 kWh/day.
    return LoadParams(
        Load.RESIDENT,
        rng.lognormvariate(math.log(6.2), 0.5),
        rng.uniform(0.6, 1.3),
        rng.uniform(1.05, 1.15),
        rng.uniform(0.15, 0.3),
    )


def enterprise_params(rng: random.Random, commercial: bool) -> LoadParams:
    """100–3000 kWh/day, log-uniform so small firms outnumber big ones."""
    base = math.exp(rng.uniform(math.log(100), math.log(3000)))
    if commercial:
        return LoadParams(Load.COMMERCIAL, base, rng.uniform(0.7, 1.1), rng.uniform(1.05, 1.2), 0.1)
    # Some plants run seven days a week, most slow down at weekends.
    return LoadParams(Load.INDUSTRIAL, base, rng.uniform(0.5, 1.0), rng.uniform(0.5, 1.0), 0.08)


@dataclasses.dataclass(frozen=True)
class MeterLoads:
    """The parameters of a block of meters as parallel arrays."""

    kind: IntArray
    base_kwh: FloatArray
    seasonality: FloatArray
    weekend: FloatArray
    noise: FloatArray

    @classmethod
    def of(cls, params: list[LoadParams]) -> MeterLoads:
        return cls(
            kind=np.array([p.kind for p in params], np.int64),
            base_kwh=np.array([p.base_kwh for p in params]),
            seasonality=np.array([p.seasonality for p in params]),
            weekend=np.array([p.weekend for p in params]),
            noise=np.array([p.noise for p in params]),
        )


def daily_energy(loads: MeterLoads, cal: Calendar, rng: np.random.Generator) -> FloatArray:
    """(meters × days) kWh consumed each day, before rounding to the register."""
    season = cal.season[loads.kind]
    season = 1.0 + loads.seasonality[:, None] * (season - 1.0)
    weekly = 1.0 + (loads.weekend[:, None] - 1.0) * cal.weekend[None, :]
    holiday = cal.holiday[loads.kind]
    weather = np.exp(loads.seasonality[:, None] * cal.weather[None, :])
    noise = np.exp(rng.normal(0.0, 1.0, season.shape) * loads.noise[:, None])
    energy: FloatArray = loads.base_kwh[:, None] * season * weekly * holiday * weather * noise
    return energy
