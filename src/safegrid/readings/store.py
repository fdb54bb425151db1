"""Writing validated readings in bulk, in the caller's transaction.

Rows go to the driver directly — ``executemany`` on SQLite, ``COPY`` on PostgreSQL —
because building a million ORM objects (or binding a million Decimals) would take longer
than everything else an import does. Columns are converted once per batch with numpy.
Nothing here commits: the unit of work does, after the batch's audit entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, repeat
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection

from safegrid.readings.frame import MISSING, BoolArray, IntArray
from safegrid.readings.models import DailyReading, ReadSource, RegisterRead
from safegrid.readings.validation import Validated

CHUNK_ROWS: Final = 100_000
ROWS_PER_STATEMENT: Final = 100
Advance = Callable[[int], None]


def hundredths(values: IntArray) -> list[Any]:
    """Exact hundredths → numbers the driver stores exactly in NUMERIC(…, 2); None where
    MISSING."""
    out = (values / 100).astype(object)
    out[values == MISSING] = None
    result: list[Any] = out.tolist()
    return result


def _days(conn: Connection, days: IntArray) -> list[Any]:
    # A batch spans a few dozen dates: convert each once, then spread them by index.
    unique, inverse = np.unique(days, return_inverse=True)
    as_dates = unique.astype("datetime64[D]")
    # SQLAlchemy stores SQLite dates as ISO text; other drivers take date objects.
    text = as_dates.astype(str) if conn.dialect.name == "sqlite" else as_dates.astype(object)
    values: list[Any] = np.asarray(text, dtype=object)[inverse].tolist()
    return values


def _bools(values: BoolArray) -> list[bool]:
    out: list[bool] = values.tolist()
    return out


Columns = dict[str, Any]  # name → per-row list, or one value for every row


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def _insert_sql(conn: Connection, table: str, columns: Columns, rows: int) -> str:
    """Per-row columns become parameters; columns with one value for the whole batch are
    written into the statement, so the driver binds fewer values per row. ``rows`` rows
    per statement: SQLite inserts about twice as fast from multi-row VALUES as from one
    statement execution per row."""
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}[conn.dialect.paramstyle]
    values = [mark if isinstance(v, list) else _literal(v) for v in columns.values()]
    one = f"({', '.join(values)})"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - fixed names, own literals
        f"VALUES {', '.join([one] * rows)}"
    )


def _write(conn: Connection, table: str, groups: list[Columns], advance: Advance) -> None:
    """Write each group of rows (same shape) with one statement; chunks feed progress."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if hasattr(cursor, "copy"):  # psycopg 3: COPY is one round trip per chunk
            for columns in groups:
                n = _length(columns)
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                for start in range(0, n, CHUNK_ROWS):
                    stop = min(start + CHUNK_ROWS, n)
                    with cursor.copy(sql) as copy:
                        for row in _rows(columns, start, stop):
                            copy.write_row(row)
                    advance(stop - start)
            return
        if conn.dialect.name == "sqlite":
            # The default 2 MB page cache makes every index insert a miss at this size.
            cursor.execute("PRAGMA cache_size = -262144")
        for columns in groups:
            n = _length(columns)
            per_row = [v for v in columns.values() if isinstance(v, list)]
            width = len(per_row)
            many = _insert_sql(conn, table, columns, ROWS_PER_STATEMENT)
            for start in range(0, n, CHUNK_ROWS):
                stop = min(start + CHUNK_ROWS, n)
                flat = list(
                    chain.from_iterable(zip(*(v[start:stop] for v in per_row), strict=True))
                )
                whole = (stop - start) // ROWS_PER_STATEMENT * ROWS_PER_STATEMENT * width
                step = ROWS_PER_STATEMENT * width
                cursor.executemany(many, (flat[i : i + step] for i in range(0, whole, step)))
                rest = (stop - start) % ROWS_PER_STATEMENT
                if rest:
                    cursor.execute(_insert_sql(conn, table, columns, rest), flat[whole:])
                advance(stop - start)
    finally:
        cursor.close()


def _length(columns: Columns) -> int:
    return next((len(v) for v in columns.values() if isinstance(v, list)), 0)


def _rows(columns: Columns, start: int, stop: int) -> Iterator[tuple[Any, ...]]:
    sliced = [
        v[start:stop] if isinstance(v, list) else repeat(v, stop - start) for v in columns.values()
    ]
    return zip(*sliced, strict=False)


def _shapes(reads: Validated) -> list[IntArray]:
    """Row indexes grouped by which optional columns they fill: plain readings (the bulk)
    bind five values, time-of-use or flagged ones all of theirs."""
    plain = (reads.peak_c == MISSING) & (reads.valley_c == MISSING) & (reads.peak_kwh_c == MISSING)
    plain &= ~reads.estimated & (reads.flags == None)  # noqa: E711 - elementwise
    return [np.flatnonzero(plain), np.flatnonzero(~plain)]


def write_register_reads(
    conn: Connection,
    reads: Validated,
    source: ReadSource,
    batch_id: int | None,
    entered_by: str,
    advance: Advance = lambda _n: None,
) -> int:
    plain, full = _shapes(reads)
    groups = []
    for index, is_plain in ((plain, True), (full, False)):
        if not len(index):
            continue
        columns: Columns = {
            "meter_id": reads.meter_id[index].tolist(),
            "read_on": _days(conn, reads.day[index]),
            "total_register": hundredths(reads.total_c[index]),
            "kwh": hundredths(reads.kwh_c[index]),
            "org_unit_id": reads.org_unit_id[index].tolist(),
            "source": source.value,
            "batch_id": batch_id,
            "entered_by": entered_by,
        }
        if is_plain:
            columns["estimated"] = False
        else:
            columns.update(
                {
                    "peak_register": hundredths(reads.peak_c[index]),
                    "valley_register": hundredths(reads.valley_c[index]),
                    "peak_kwh": hundredths(reads.peak_kwh_c[index]),
                    "valley_kwh": hundredths(reads.valley_kwh_c[index]),
                    "estimated": _bools(reads.estimated[index]),
                    "flags": reads.flags[index].tolist(),
                }
            )
        groups.append(columns)
    _write(conn, RegisterRead.__tablename__, groups, advance)
    return len(reads)


def write_daily_readings(
    conn: Connection, reads: Validated, advance: Advance = lambda _n: None
) -> int:
    columns: Columns = {
        "meter_id": reads.meter_id.tolist(),
        "day": _days(conn, reads.day),
        "register_kwh": hundredths(reads.total_c),
        "kwh": hundredths(reads.kwh_c),
        "source": ReadSource.AMI.value,
        "org_unit_id": reads.org_unit_id.tolist(),
        "peak_kwh": hundredths(reads.peak_kwh_c),
        "valley_kwh": hundredths(reads.valley_kwh_c),
        "flags": reads.flags.tolist(),
    }
    _write(conn, DailyReading.__tablename__, [columns], advance)
    return len(reads)
