"""What validation needs to know from the database, loaded set-wise for the meters a
batch names: the meters themselves (through the caller's scope — a meter outside it is
simply not found), each meter's latest stored reading, its usage history, and which
periods are closed where.

Queries go through the unit of work's session, so the row scope (ORG-2) and a meter
reader's reading areas (IAM-1) apply to every one of them.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Float, Integer, String, and_, case, cast, func, select, type_coerce

from safegrid.customers.models import Meter
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.readings.frame import MISSING, IntArray
from safegrid.readings.models import (
    DailyReading,
    MonthlyUsage,
    PeriodClosure,
    PeriodStatus,
    ReadingPeriod,
    RegisterRead,
)
from safegrid.readings.sql_lists import in_ints, in_texts

CHUNK: Final = 200_000  # meters per lookup query; each list is one JSON parameter
HISTORY_MONTHS: Final = 6
EPOCH: Final = date(1970, 1, 1)


def epoch_day(d: date) -> int:
    return (d - EPOCH).days


def month_index(days: IntArray) -> IntArray:
    """Days since 1970-01-01 → months since 1970-01 (vectorised)."""
    months: IntArray = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months


def period_of_month(month: int) -> str:
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"


def month_of_period(period: str) -> int:
    return (int(period[:4]) - 1970) * 12 + int(period[5:7]) - 1


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


@dataclasses.dataclass
class Meters:
    """The known meters of a batch as parallel arrays; index = position in ``asset_no``."""

    asset_no: pa.Array
    meter_id: IntArray
    multiplier: IntArray
    is_tou: npt.NDArray[np.bool_]
    org_unit_id: IntArray
    installed_day: IntArray
    path: list[str]
    prev_day: IntArray
    prev_total_c: IntArray
    prev_peak_c: IntArray
    prev_valley_c: IntArray
    baseline_c: npt.NDArray[np.float64]  # typical hundredths of kWh per day; NaN: no history

    def lookup(self, assets: pa.Array) -> IntArray:
        found = pc.index_in(assets, value_set=self.asset_no)
        out: IntArray = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
        return out


@dataclasses.dataclass
class Closed:
    months: set[int]  # closed for the whole utility
    subtrees: list[tuple[int, str]]  # (month, org path) closed for one unit's subtree

    def mask(self, meters: Meters, m: IntArray, day: IntArray) -> npt.NDArray[np.bool_]:
        month = month_index(day)
        out = np.isin(month, list(self.months)) if self.months else np.zeros(len(m), bool)
        for closed_month, path in self.subtrees:
            inside = np.array([p.startswith(path) for p in meters.path], bool)
            out |= (month == closed_month) & inside[m]
        return out


@dataclasses.dataclass
class Context:
    meters: Meters
    closed: Closed
    today: int


def load(uow: UnitOfWork, assets: pa.Array, first_day: int | None) -> Context:
    distinct = pc.unique(assets.filter(pc.not_equal(assets, ""))).to_pylist()
    meters = _meters(uow, distinct)
    _latest(uow, meters)
    if first_day is not None and len(meters.meter_id):
        _baseline(uow, meters, int(month_index(np.array([first_day]))[0]))
    return Context(meters, _closed(uow), epoch_day(clock.business_day()))


def _meters(uow: UnitOfWork, assets: list[str]) -> Meters:
    rows: list[Any] = []
    for chunk in _chunks(assets):
        rows.extend(
            uow.session.execute(  # the ORM session: the row scope applies here
                select(
                    Meter.asset_no,
                    Meter.id,
                    Meter.multiplier,
                    type_coerce(Meter.is_tou, Integer),
                    Meter.org_unit_id,
                    _raw_day(Meter.installed_on),
                    OrgUnit.path,
                )
                .join(OrgUnit, OrgUnit.id == Meter.org_unit_id)
                .where(in_texts(Meter.asset_no, chunk))
            ).all()
        )
    n = len(rows)
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[]] * 7
    missing = np.full(n, MISSING, np.int64)
    return Meters(
        asset_no=pa.array(cols[0], pa.string()),
        meter_id=np.array(cols[1], np.int64),
        multiplier=np.array(cols[2], np.int64),
        is_tou=np.array(cols[3], bool),
        org_unit_id=np.array(cols[4], np.int64),
        installed_day=_days(cols[5]),
        path=list(cols[6]),
        prev_day=missing.copy(),
        prev_total_c=missing.copy(),
        prev_peak_c=missing.copy(),
        prev_valley_c=missing.copy(),
        baseline_c=np.full(n, np.nan),
    )


def _hundredths(values: Sequence[Any]) -> IntArray:
    """Floats (exact decimals of 2 places, read without Decimal conversion) → hundredths."""
    arr = np.array([np.nan if v is None else v for v in values], float)
    out = np.full(len(arr), MISSING, np.int64)
    known = ~np.isnan(arr)
    out[known] = np.rint(arr[known] * 100).astype(np.int64)
    return out


def _positions(meters: Meters, ids: Sequence[int]) -> IntArray:
    order = np.argsort(meters.meter_id)
    found: IntArray = order[np.searchsorted(meters.meter_id[order], np.array(ids, np.int64))]
    return found


def _days(values: Sequence[Any]) -> IntArray:
    """ISO date strings (SQLite) or dates (PostgreSQL) → days since 1970-01-01, parsed by
    numpy in one call instead of one ``date`` object per row."""
    out: IntArray = np.array(values, "datetime64[D]").astype(np.int64)
    return out


def _as_float(column: Any) -> Any:
    # Registers come back as floats, not Decimals: a million Decimal conversions would cost
    # more than the rest of the lookup, and 2-decimal figures survive the round trip.
    return cast(column, Float)


def _raw_day(column: Any) -> Any:
    # The driver's value as is (ISO text on SQLite): no per-row conversion to ``date``.
    return type_coerce(column, String)


def columns(uow: UnitOfWork, stmt: Any, width: int, dtype: Any = object) -> list[Any]:
    """A plain column query's result as numpy columns, straight from the driver's cursor:
    no per-row ``Row`` objects or type conversion. The row scope is not added on this
    path: callers restrict to meter ids that came out of the scoped meter lookup, so
    every row they read belongs to a meter the caller may see."""
    conn = uow.session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args = tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    table = np.array(rows, dtype=dtype).reshape(len(rows), width)
    return [table[:, k] for k in range(width)]


def _newest(model: Any, day: Any, columns: list[Any], chunk: Sequence[int]) -> Any:
    """Per meter of ``chunk``, the row of its newest day: one seek for that day on the
    (meter_id, day) key and one for the row — instead of grouping every stored reading
    of every meter."""
    newest_day = (
        select(func.max(day)).where(model.meter_id == Meter.id).correlate(Meter).scalar_subquery()
    )
    return (
        select(model.meter_id, _raw_day(day), *(_as_float(c) for c in columns))
        .select_from(Meter)
        .join(model, and_(model.meter_id == Meter.id, day == newest_day))
        .where(in_ints(Meter.id, chunk))
    )


def _latest(uow: UnitOfWork, meters: Meters) -> None:
    """Each meter's latest stored reading: a register read, or an AMI daily register if
    that is later (peak/valley registers are then unknown)."""
    for chunk in _chunks(meters.meter_id.tolist()):
        register_cols = [
            RegisterRead.total_register,
            RegisterRead.peak_register,
            RegisterRead.valley_register,
        ]
        ids, days, total, peak, valley = columns(
            uow, _newest(RegisterRead, RegisterRead.read_on, register_cols, chunk), 5
        )
        if len(ids):
            at = _positions(meters, ids)
            meters.prev_day[at] = _days(days)
            meters.prev_total_c[at] = _hundredths(total)
            meters.prev_peak_c[at] = _hundredths(peak)
            meters.prev_valley_c[at] = _hundredths(valley)
        daily = _newest(DailyReading, DailyReading.day, [DailyReading.register_kwh], chunk)
        ids, days, register = columns(uow, daily, 3)
        if len(ids):
            at, day = _positions(meters, ids), _days(days)
            later = day > meters.prev_day[at]
            at = at[later]
            meters.prev_day[at] = day[later]
            meters.prev_total_c[at] = _hundredths(register)[later]
            meters.prev_peak_c[at] = MISSING
            meters.prev_valley_c[at] = MISSING


def _baseline(uow: UnitOfWork, meters: Meters, month: int) -> None:
    """Median daily energy over the meter's last closed, measured (not estimated) months."""
    periods = [period_of_month(month - k) for k in range(1, HISTORY_MONTHS + 1)]
    rates = np.full((len(meters.meter_id), HISTORY_MONTHS), np.nan)
    # The database answers with each row's age in months, so only numbers come back.
    age = case({p: k for k, p in enumerate(periods)}, value=MonthlyUsage.period)
    month_days = np.array([calendar.monthrange(int(p[:4]), int(p[5:7]))[1] for p in periods], float)
    for chunk in _chunks(meters.meter_id.tolist()):
        ids, col, kwh = columns(
            uow,
            select(MonthlyUsage.meter_id, age, _as_float(MonthlyUsage.kwh)).where(
                in_ints(MonthlyUsage.meter_id, chunk),
                MonthlyUsage.period >= periods[-1],
                MonthlyUsage.period <= periods[0],
                MonthlyUsage.estimated.is_(False),
            ),
            3,
            float,
        )
        k = col.astype(np.int64)
        rates[_positions(meters, ids.astype(np.int64)), k] = kwh * 100 / month_days[k]
    has = ~np.isnan(rates).all(axis=1)
    meters.baseline_c[has] = np.nanmedian(rates[has], axis=1)


def _closed(uow: UnitOfWork) -> Closed:
    months = {
        month_of_period(p)
        for p in uow.session.scalars(
            select(ReadingPeriod.period).where(ReadingPeriod.status == PeriodStatus.CLOSED)
        )
    }
    subtrees = [
        (month_of_period(p), path)
        for p, path in uow.session.execute(select(PeriodClosure.period, PeriodClosure.org_path))
    ]
    return Closed(months, subtrees)
