"""Readings laid out as a day matrix: one row per customer, column ``b`` holding his reading
``b`` days before his own last day (NaN where there was none). The engine (Ibis on DuckDB
or Spark) does what it is good at — the customers' last days, the cohort's mean per day,
streaming the readings as Arrow batches; numpy places them (ADR 0040).

The readings are streamed once per part; a part is a range of customers sized so that its
matrix fits ``memory_bytes``, so a population larger than memory is read in several passes
instead of failing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import ibis.expr.types as ir
import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from safegrid.analytics import engines

# Two years and one day: the features look two years back, and the day before the oldest
# of them is the "previous reading" of that oldest day.
WIDTH = 731
BATCH_ROWS = 1 << 20
MEMORY_BYTES = 6 << 30


@dataclass(frozen=True)
class DayMatrix:
    """``kwh[i, b]``: customer ``customers[i]`` on the day ``b`` days before his last day,
    ``last[i]`` days after the cohort's first day; NaN where he had no reading or the cohort
    had none that day (the reading then cannot be compared). ``cohort[d]``: the cohort's
    mean on its first day + d."""

    customers: pd.Index
    last: np.ndarray
    kwh: np.ndarray
    cohort: np.ndarray


def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Days since the epoch, whether the engine hands back dates or timestamps."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.date32())
    return np.asarray(column.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _cohort_by_day(cohort: pa.Table) -> tuple[int, np.ndarray]:
    """The cohort's mean per day as a vector from its first day (NaN on days it lacks)."""
    days = _days(cohort.column("day"))
    if len(days) == 0:
        return 0, np.full(1, np.nan)
    first = int(days.min())
    vector = np.full(int(days.max()) - first + 1, np.nan)
    vector[days - first] = cohort.column("cohort").to_numpy(zero_copy_only=False)
    return first, vector


def _row_of(customers: pa.Array, index: pd.Index) -> np.ndarray:
    """Each reading's matrix row. Exports come grouped by meter, so the lookup is done once
    per run of equal customers; readings in any order give the same answer, only slower."""
    n = len(customers)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(
        np.concatenate(
            [[True], pc.not_equal(customers[1:], customers[:-1]).to_numpy(zero_copy_only=False)]
        )
    )
    heads = customers.take(pa.array(starts)).to_numpy(zero_copy_only=False)
    rows = index.get_indexer(heads)
    return np.repeat(rows, np.diff(np.append(starts, n)))


@numba.njit(cache=True)
def _place(
    kwh: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    last: np.ndarray,
    at: np.ndarray,
    cohort: np.ndarray,
) -> None:
    """Each reading into its row and column (``last`` and ``at`` count from the cohort's
    first day); one it cannot be compared with the cohort on is left out."""
    width = kwh.shape[1]
    for j in range(rows.shape[0]):
        row, day, value = rows[j], at[j], values[j]
        if row < 0 or math.isnan(value) or day < 0 or day >= cohort.shape[0]:
            continue
        back = last[row] - day
        if 0 <= back < width and not math.isnan(cohort[day]):
            kwh[row, back] = value


def _parts(ends: pd.DataFrame, width: int, memory_bytes: int) -> list[pd.DataFrame]:
    # kwh and cohort, float64 each, plus the features' working copies of one block.
    per_customer = width * 8 * 2
    size = max(1, memory_bytes // per_customer)
    return [ends.iloc[i : i + size] for i in range(0, max(len(ends), 1), size)]


def matrices(
    daily: ir.Table,
    cohort_source: ir.Table | None = None,
    *,
    width: int = WIDTH,
    memory_bytes: int = MEMORY_BYTES,
) -> Iterator[DayMatrix]:
    """Day matrices of ``daily`` (``customer, day, kwh``, one row per customer and day),
    customers in ascending order, as few as memory allows. The cohort is the mean of
    ``cohort_source`` (default ``daily``) per day."""
    source = daily if cohort_source is None else cohort_source
    cohort = source.group_by("day").aggregate(cohort=source.kwh.cast("float64").mean())
    first_day, cohort_vector = _cohort_by_day(cohort.to_pyarrow())
    spans = daily.group_by("customer").aggregate(
        first_day=daily.day.min(), last_day=daily.day.max()
    )
    ends_table = spans.to_pyarrow()
    ends = pd.DataFrame(
        {
            "customer": ends_table.column("customer").to_pandas(),
            "last_day": _days(ends_table.column("last_day")),
        }
    )
    ends = ends.sort_values("customer", kind="stable", ignore_index=True)
    if len(ends):
        span = int(ends["last_day"].max()) - int(_days(ends_table.column("first_day")).min())
        width = max(1, min(width, span + 1))
    parts = _parts(ends, width, memory_bytes)
    for part in parts:
        readings = daily.select("customer", "day", "kwh")
        if len(parts) > 1:
            lo, hi = part["customer"].iloc[0], part["customer"].iloc[-1]
            readings = readings.filter((readings.customer >= lo) & (readings.customer <= hi))
        yield _fill(readings, part, width, first_day, cohort_vector)


def _fill(
    readings: ir.Table,
    part: pd.DataFrame,
    width: int,
    first_day: int,
    cohort_vector: np.ndarray,
) -> DayMatrix:
    index = pd.Index(part["customer"])
    last_day = part["last_day"].to_numpy()
    last = last_day - first_day
    kwh = np.full((len(part), width), np.nan)
    for batch in engines.batches(readings, BATCH_ROWS):
        rows = _row_of(batch.column("customer"), index)
        days = _days(batch.column("day"))
        values = batch.column("kwh").cast(pa.float64()).to_numpy(zero_copy_only=False)
        _place(kwh, rows, values, last, days - first_day, cohort_vector)
    return DayMatrix(index, last, kwh, cohort_vector)
