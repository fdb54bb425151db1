"""Readings laid out as a day matrix: one row per customer, one column per calendar day of
the input (NaN where he had no reading), and each row's last day. The engine (Ibis on
DuckDB or Spark) streams the readings as Arrow batches; one pass places them and, when the
cohort is the input itself, sums the cohort's mean per day on the way (ADR 0040).

A customer's features look back from his own last day, so a row is read backwards from
``last[i]``. A population whose matrix would not fit ``memory_bytes`` is read in several
passes, a hash range of customers each; the cohort is then summed in a pass of its own, as
it always is when it comes from another population."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from safegrid.analytics import engines

BATCH_ROWS = 1 << 20
MEMORY_BYTES = 6 << 30


@dataclass(frozen=True)
class DayMatrix:
    """``kwh[i, d]``: customer ``customers[i]`` on the input's first day + d (NaN where he
    had no reading, or the cohort had none that day: it then cannot be compared);
    ``last[i]``: the column of his last day (-1 if he has none); ``cohort[d]``: the cohort's
    mean that day (NaN where it had none)."""

    customers: pd.Index
    last: np.ndarray
    kwh: np.ndarray
    cohort: np.ndarray


def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Days since the epoch, whether the engine hands back dates or timestamps."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.date32())
    return np.asarray(column.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


class _Rows:
    """Matrix row numbers handed out in order of first appearance. Exports come grouped by
    meter, so only the first reading of each run of equal customers is looked up; readings
    in any order give the same rows, only slower."""

    def __init__(self) -> None:
        self.row_of: dict[Any, int] = {}

    def of(self, customers: pa.Array) -> np.ndarray:
        n = len(customers)
        if n == 0:
            return np.empty(0, dtype=np.int64)
        changes = pc.not_equal(customers[1:], customers[:-1]).to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.concatenate([[True], changes]))
        heads = customers.take(pa.array(starts)).to_pylist()
        row_of = self.row_of
        rows = np.fromiter(
            (row_of.setdefault(c, len(row_of)) for c in heads), dtype=np.int64, count=len(heads)
        )
        return np.repeat(rows, np.diff(np.append(starts, n)))


@numba.njit(cache=True)
def _place(
    kwh: np.ndarray,
    last: np.ndarray,
    rows: np.ndarray,
    at: np.ndarray,
    values: np.ndarray,
    comparable: np.ndarray,
    sums: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Each reading into its row and day column, each row's last day, and the day's sum and
    count for the cohort. A reading on a day the cohort lacks (``comparable``) is left out."""
    for j in range(rows.shape[0]):
        row, day, value = rows[j], at[j], values[j]
        last[row] = max(last[row], day)
        if math.isnan(value):
            continue
        sums[day] += value
        counts[day] += 1.0
        if comparable[day]:
            kwh[row, day] = value


@numba.njit(cache=True)
def _sum_days(at: np.ndarray, values: np.ndarray, sums: np.ndarray, counts: np.ndarray) -> None:
    for j in range(at.shape[0]):
        day, value = at[j], values[j]
        if 0 <= day < sums.shape[0] and not math.isnan(value):
            sums[day] += value
            counts[day] += 1.0


def _cohort(source: ir.Table, first: int, span: int) -> np.ndarray:
    """The mean of ``source`` per day of the span (NaN on days it has no reading)."""
    sums, counts = np.zeros(span), np.zeros(span)
    for batch in engines.batches(source.select("day", "kwh"), BATCH_ROWS):
        values = batch.column("kwh").cast(pa.float64()).to_numpy(zero_copy_only=False)
        _sum_days(_days(batch.column("day")) - first, values, sums, counts)
    return _means(sums, counts)


def _means(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    means: np.ndarray = np.full(len(sums), np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means


def _grown(kwh: np.ndarray, last: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Room for at least ``rows`` rows, by half again each time (few copies)."""
    if rows <= len(kwh):
        return kwh, last
    size = max(rows, len(kwh) * 3 // 2)
    bigger = np.full((size, kwh.shape[1]), np.nan)
    bigger[: len(kwh)] = kwh
    longer = np.full(size, -1, dtype=np.int64)
    longer[: len(last)] = last
    return bigger, longer


def _fill(
    readings: ir.Table, first: int, span: int, guess: int, cohort: np.ndarray | None
) -> DayMatrix:
    """One pass over ``readings``; the cohort is summed from them unless given."""
    rows = _Rows()
    kwh = np.full((max(guess, 1), span), np.nan)
    last = np.full(len(kwh), -1, dtype=np.int64)
    sums, counts = np.zeros(span), np.zeros(span)
    comparable = np.ones(span, dtype=np.bool_) if cohort is None else ~np.isnan(cohort)
    for batch in engines.batches(readings.select("customer", "day", "kwh"), BATCH_ROWS):
        row = rows.of(batch.column("customer"))
        kwh, last = _grown(kwh, last, len(rows.row_of))
        values = batch.column("kwh").cast(pa.float64()).to_numpy(zero_copy_only=False)
        _place(kwh, last, row, _days(batch.column("day")) - first, values, comparable, sums, counts)
    n = len(rows.row_of)
    if cohort is None:
        cohort = _means(sums, counts)
    return DayMatrix(pd.Index(list(rows.row_of)), last[:n], kwh[:n], cohort)


def matrices(
    daily: ir.Table, cohort_source: ir.Table | None = None, *, memory_bytes: int = MEMORY_BYTES
) -> Iterator[DayMatrix]:
    """Day matrices of ``daily`` (``customer, day, kwh``, one row per customer and day),
    as few as ``memory_bytes`` allows. The cohort is the mean of ``cohort_source``
    (default ``daily``) per day."""
    stats = daily.aggregate(
        first=daily.day.min(), last=daily.day.max(), readings=daily.count()
    ).to_pyarrow()
    readings = int(stats.column("readings")[0].as_py() or 0)
    if readings == 0:
        return
    first = int(_days(stats.column("first"))[0])
    span = int(_days(stats.column("last"))[0]) - first + 1
    # The matrix holds at least every reading: a first guess at its rows, and at how many
    # passes keep it within the budget.
    guess = max(1, readings // span)
    parts = max(1, math.ceil(guess * span * 8 / memory_bytes))
    cohort = None
    if cohort_source is not None or parts > 1:
        cohort = _cohort(daily if cohort_source is None else cohort_source, first, span)
    for part in range(parts):
        chunk = daily
        if parts > 1:
            chunk = daily.filter((daily.customer.hash() % parts).abs() == part)
        yield _fill(chunk, first, span, guess // parts, cohort)
