"""A year of daily AMI readings for every meter, written in bulk, one month at a time.

20,000 meters × 365 days is 7.3 million rows. They are drawn with numpy a block of
meters at a time and written with the driver's ``executemany`` (COPY on PostgreSQL) — no
ORM objects, no per-row SQLAlchemy bind processing. The background history
(``demo/history.py``) writes a month in short transactions of a few blocks: every month
draws the whole window again from the same seeded stream (cheap in numpy) and keeps only
the month's columns, so a month's readings are the same whichever month ran first and
however often the run was interrupted.

Register arithmetic is done in integer hundredths so the stored figures add up exactly:
``kwh = (register_today − register_yesterday) × multiplier`` for every day, the rule the
billing checks apply to meters behind current transformers. Time-of-use meters also get
the day's peak (08:00–22:00) and valley energy, ``peak + valley = kwh`` to the hundredth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from safegrid.customers.models import Meter
from safegrid.demo import profiles
from safegrid.demo.archive import MeterPlan
from safegrid.readings import daily_totals
from safegrid.readings.models import DailyReading

BATCH_ROWS = 50_000
SOURCE = "ami"
_COLUMNS = (
    "meter_id",
    "day",
    "register_kwh",
    "kwh",
    "source",
    "org_unit_id",
    "peak_kwh",
    "valley_kwh",
)
# Share of a time-of-use customer's energy used 08:00–22:00: homes on the peak/valley
# tariff move washing and water heating to the night; the day-to-day wobble is small.
_PEAK_SHARE = (0.50, 0.75)
_PEAK_SHARE_SD = 0.04


def _insert_sql(conn: Connection) -> str:
    # The driver's own placeholder style: ``?`` for sqlite3, ``%s`` for psycopg.
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:
        raise NotImplementedError(f"bulk reading insert does not support paramstyle {style}")
    table = DailyReading.__tablename__
    return (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed names, no input
        f"VALUES ({', '.join([mark] * len(_COLUMNS))})"
    )


def _block(
    plans: Sequence[MeterPlan], cal: profiles.Calendar, rng: np.random.Generator
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Register and daily kWh, (meters × days), in hundredths."""
    energy = profiles.daily_energy(profiles.MeterLoads.of([p.load for p in plans]), cal, rng)
    multiplier = np.array([p.multiplier for p in plans], np.int64)[:, None]
    # The register turns 1/multiplier as fast as the energy flows through the CTs.
    step_c = np.rint(energy * 100 / multiplier).astype(np.int64)
    start_c = np.array([p.start_register_c for p in plans], np.int64)[:, None]
    register_c = start_c + np.cumsum(step_c, axis=1)
    return register_c, step_c * multiplier


def _peak_c(kwh_c: np.ndarray[Any, Any], tou_rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """Peak hundredths of each day; the valley is the rest, so the two add up exactly."""
    share = tou_rng.uniform(*_PEAK_SHARE, (kwh_c.shape[0], 1))
    daily = np.clip(share + tou_rng.normal(0.0, _PEAK_SHARE_SD, kwh_c.shape), 0.2, 0.9)
    peak: np.ndarray[Any, Any] = np.rint(kwh_c * daily).astype(np.int64)
    return peak


def _rows(
    plans: Sequence[MeterPlan],
    cal: profiles.Calendar,
    rng: np.random.Generator,
    window: tuple[slice, list[Any]],
    tou: tuple[set[int], np.random.Generator],
) -> list[tuple[Any, ...]]:
    register_c, kwh_c = _block(plans, cal, rng)
    cols, day_values = window
    tou_ids, tou_rng = tou
    n_days = len(day_values)
    is_tou = np.array([p.meter_id in tou_ids for p in plans], bool)
    rows: list[tuple[Any, ...]] = []
    for mask in (~is_tou, is_tou):
        if not mask.any():
            continue
        subset = [p for p, m in zip(plans, mask, strict=True) if m]
        meter_ids = np.repeat([p.meter_id for p in subset], n_days).tolist()
        units = np.repeat([p.org_unit_id for p in subset], n_days).tolist()
        # Floats divided from exact hundredths: what SQLAlchemy's Numeric binds on SQLite,
        # and PostgreSQL rounds them into numeric(…, 2) exactly.
        registers = (register_c[mask][:, cols].ravel() / 100).tolist()
        kwh = (kwh_c[mask][:, cols].ravel() / 100).tolist()
        days = day_values * len(subset)
        if mask is is_tou:
            # Drawn for the whole window, so the stream stays where the next block expects it.
            peak_c = _peak_c(kwh_c[mask], tou_rng)[:, cols]
            peak: Any = (peak_c.ravel() / 100).tolist()
            valley: Any = ((kwh_c[mask][:, cols] - peak_c).ravel() / 100).tolist()
        else:
            peak = valley = repeat(None)
        rows.extend(
            zip(meter_ids, days, registers, kwh, repeat(SOURCE), units, peak, valley, strict=False)
        )
    return rows


def _blocks(plans: Sequence[MeterPlan], n_days: int) -> Iterator[Sequence[MeterPlan]]:
    per_block = max(1, BATCH_ROWS // n_days)
    for start in range(0, len(plans), per_block):
        yield plans[start : start + per_block]


@dataclasses.dataclass(frozen=True)
class Block:
    """The rows of a block of meters (in meter-id order) for the days asked for."""

    last_meter_id: int
    rows: list[tuple[Any, ...]]


def tou_meter_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Meter.id).where(Meter.is_tou)))


def month_blocks(
    plans: Sequence[MeterPlan],
    cal: profiles.Calendar,
    rng: np.random.Generator,
    within: tuple[date, date],
    *,
    tou_ids: set[int],
    iso_days: bool,
) -> Iterator[Block]:
    """The readings of the days ``within`` (first, last) of the calendar, a block of
    meters at a time. ``rng`` must be fresh from the seed: the whole calendar is drawn
    again from it and only those days kept. ``iso_days``: days as ISO text, as SQLAlchemy
    stores dates on SQLite (other drivers take date objects)."""
    first, last = within
    picked = [i for i, d in enumerate(cal.days) if first <= d <= last]
    if not picked:
        return
    cols = slice(picked[0], picked[-1] + 1)
    days = cal.days[cols]
    window = (cols, [d.isoformat() for d in days] if iso_days else list(days))
    # A stream of its own, so the TOU split does not reshuffle everybody's energy.
    tou = (tou_ids, rng.spawn(1)[0])
    for block in _blocks(plans, len(cal.days)):
        yield Block(block[-1].meter_id, _rows(block, cal, rng, window, tou))


def write_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows of :func:`month_blocks` in the connection's transaction, and add them
    to their units' daily totals (what the AMI feed's writer does too)."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        # PostgreSQL (psycopg 3) takes bulk rows fastest through COPY; executemany there
        # costs a round trip per row. Everything else gets the portable INSERT.
        if hasattr(cursor, "copy"):
            _copy_rows(cursor, rows)
        else:
            cursor.executemany(_insert_sql(conn), rows)
    finally:
        cursor.close()
    if rows:
        _meter, day, _register, kwh, _source, unit, *_tou = zip(*rows, strict=True)
        # ISO text (SQLite) and date objects (other drivers) both parse as numpy days.
        days = np.array(day, "datetime64[D]").astype(np.int64)
        daily_totals.add(conn, np.array(unit), days, np.rint(np.array(kwh) * 100))


def _copy_rows(cursor: Any, rows: list[tuple[Any, ...]]) -> None:
    sql = f"COPY {DailyReading.__tablename__} ({', '.join(_COLUMNS)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
