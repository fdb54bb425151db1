"""Writing validated readings in bulk, in the caller's transaction.

Rows go to the driver directly — multi-row ``INSERT`` through ``executemany`` on SQLite,
``COPY`` on PostgreSQL — because building a million ORM objects (or binding a million
Decimals) would take longer than everything else an import does. Columns stay numpy
arrays until a chunk is written (PostgreSQL gets its COPY text built by pyarrow, without
a Python loop per row). A column with one
value for the whole batch (an import from one station: one org unit, no flags) is
written into the statement once instead of bound on every row.

Nothing here commits: the unit of work does, after the batch's audit entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from safegrid.readings import daily_totals
from safegrid.readings.frame import MISSING
from safegrid.readings.models import DailyReading, ReadSource, RegisterRead
from safegrid.readings.validation import Validated

CHUNK_ROWS: Final = 50_000
ROWS_PER_STATEMENT: Final = 100
Advance = Callable[[int], None]
Kind = Literal["int", "cents", "day", "bool", "text"]


@dataclasses.dataclass(frozen=True)
class Column:
    """One value per row, as numpy; ``kind`` says how the driver takes it. ``cents`` are
    exact hundredths (MISSING: NULL) stored in NUMERIC(…, 2); ``day`` days since
    1970-01-01; ``text`` an object array of str or None."""

    values: np.ndarray[Any, Any]
    kind: Kind


Columns = dict[str, Any]  # name → Column, or one plain value for every row


def _fold(values: np.ndarray[Any, Any], kind: Kind) -> Any:
    """The column, or its one value when every row has the same."""
    if len(values) and bool((values == values[0]).all()):
        return _python(values[:1], kind)[0]
    return Column(values, kind)


# --- SQLite: multi-row INSERT ------------------------------------------------------


def _objects(values: np.ndarray[Any, Any], kind: Kind) -> np.ndarray[Any, Any]:
    """A slice of a column as an object array of the values pysqlite binds."""
    if kind == "cents":
        out = (values / 100).astype(object)  # exact: ≤ 12 significant digits
        out[values == MISSING] = None
        return out
    if kind == "day":
        # A chunk spans a few dozen dates: format each once, then spread them by index.
        unique, inverse = np.unique(values, return_inverse=True)
        iso = np.asarray(unique.astype("datetime64[D]").astype(str), dtype=object)
        return iso[inverse]  # SQLAlchemy stores SQLite dates as ISO text
    return values.astype(object)


def _python(values: np.ndarray[Any, Any], kind: Kind) -> list[Any]:
    plain: list[Any] = _objects(values, kind).tolist()
    return plain


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _insert_sql(table: str, columns: Columns, rows: int) -> str:
    """``rows`` rows per statement: SQLite inserts about twice as fast from multi-row
    VALUES as from one statement execution per row."""
    values = ["?" if isinstance(v, Column) else _literal(v) for v in columns.values()]
    one = f"({', '.join(values)})"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - fixed names, own literals
        f"VALUES {', '.join([one] * rows)}"
    )


def _flat(columns: Columns, start: int, stop: int) -> list[Any]:
    """Rows ``start:stop`` as one flat parameter list, row after row: the columns are
    laid side by side in one object array (no tuple per row), then flattened."""
    bound = [c for c in columns.values() if isinstance(c, Column)]
    table = np.empty((stop - start, len(bound)), dtype=object)
    for j, column in enumerate(bound):
        table[:, j] = _objects(column.values[start:stop], column.kind)
    flat: list[Any] = table.ravel().tolist()
    return flat


def _insert(cursor: Any, table: str, columns: Columns, n: int, advance: Advance) -> None:
    width = sum(isinstance(c, Column) for c in columns.values())
    many = _insert_sql(table, columns, ROWS_PER_STATEMENT)
    step = ROWS_PER_STATEMENT * width
    for start, stop, flat in _chunks(lambda a, b: _flat(columns, a, b), n):
        whole = (stop - start) // ROWS_PER_STATEMENT * step
        cursor.executemany(many, (flat[i : i + step] for i in range(0, whole, step)))
        if whole < len(flat):
            rest = (len(flat) - whole) // width
            cursor.execute(_insert_sql(table, columns, rest), flat[whole:])
        advance(stop - start)


# --- PostgreSQL: COPY in text format --------------------------------------------------

_NULL: Final = "\\N"
_ESCAPES: Final = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_text(values: np.ndarray[Any, Any], kind: Kind) -> pa.Array:
    """A slice of a column as COPY text fields, built by pyarrow without a Python loop."""
    if kind == "cents":
        magnitude = np.abs(values)
        whole = pc.cast(pa.array(magnitude // 100), pa.string())
        cents = pc.utf8_lpad(pc.cast(pa.array(magnitude % 100), pa.string()), 2, "0")
        text = pc.binary_join_element_wise(whole, cents, ".")
        text = pc.if_else(pa.array(values < 0), pc.binary_join_element_wise("-", text, ""), text)
        return pc.if_else(pa.array(values == MISSING), _NULL, text)
    if kind == "day":
        unique, inverse = np.unique(values, return_inverse=True)
        iso = pa.array(unique.astype("datetime64[D]").astype(str).tolist(), pa.string())
        return iso.take(pa.array(inverse))
    if kind == "bool":
        return pc.if_else(pa.array(values.astype(bool)), "t", "f")
    if kind == "int":
        return pc.cast(pa.array(values), pa.string())
    text = pa.array(values.tolist(), pa.string())
    for raw, escaped in _ESCAPES:
        text = pc.replace_substring(text, raw, escaped)
    return text.fill_null(_NULL)


def _copy_scalar(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _copy_block(columns: Columns, start: int, stop: int) -> bytes:
    """Rows ``start:stop`` as one block of COPY text (tab-separated, one line a row)."""
    fields = [
        _copy_text(c.values[start:stop], c.kind) if isinstance(c, Column) else _copy_scalar(c)
        for c in columns.values()
    ]
    if not any(isinstance(f, pa.Array) for f in fields):  # every column constant
        fields[0] = pa.array([fields[0]] * (stop - start), pa.string())
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*fields, "\t"), "\n", "")
    # The lines' characters lie back to back in the array's data buffer: that is the block.
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset :][: len(lines) + 1]
    return bytes(memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]])


def _copy(cursor: Any, table: str, columns: Columns, n: int, advance: Advance) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        for start, stop, block in _chunks(lambda a, b: _copy_block(columns, a, b), n):
            copy.write(block)
            advance(stop - start)


# --- both -------------------------------------------------------------------------------


def _chunks(build: Callable[[int, int], Any], n: int) -> Iterator[tuple[int, int, Any]]:
    """``(start, stop, build(start, stop))`` chunk by chunk, so a chunk's driver values
    exist only while it is written."""
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        yield start, stop, build(start, stop)


def _write(conn: Connection, table: str, groups: list[Columns], advance: Advance) -> None:
    """Write each group of rows (same shape) with one prepared statement."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        copies = hasattr(cursor, "copy")  # psycopg 3
        if not copies and conn.dialect.name == "sqlite":
            # The default 2 MB page cache makes every index insert a miss at this size.
            cursor.execute("PRAGMA cache_size = -262144")
        for columns in groups:
            n = _length(columns)
            (_copy if copies else _insert)(cursor, table, columns, n, advance)
    finally:
        cursor.close()


def _length(columns: Columns) -> int:
    return next(len(c.values) for c in columns.values() if isinstance(c, Column))


def _shapes(reads: Validated) -> list[np.ndarray[Any, Any]]:
    """Row indexes grouped by which optional columns they fill: plain readings (the bulk)
    leave peak, valley and flags empty, time-of-use or flagged ones fill theirs."""
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
    groups = []
    for index in _shapes(reads):
        if not len(index):
            continue
        groups.append(
            {
                "meter_id": Column(reads.meter_id[index], "int"),
                "read_on": Column(reads.day[index], "day"),
                "total_register": Column(reads.total_c[index], "cents"),
                "kwh": _fold(reads.kwh_c[index], "cents"),
                "org_unit_id": _fold(reads.org_unit_id[index], "int"),
                "source": source.value,
                "batch_id": batch_id,
                "entered_by": entered_by,
                "peak_register": _fold(reads.peak_c[index], "cents"),
                "valley_register": _fold(reads.valley_c[index], "cents"),
                "peak_kwh": _fold(reads.peak_kwh_c[index], "cents"),
                "valley_kwh": _fold(reads.valley_kwh_c[index], "cents"),
                "estimated": _fold(reads.estimated[index], "bool"),
                "flags": _fold(reads.flags[index], "text"),
            }
        )
    _write(conn, RegisterRead.__tablename__, groups, advance)
    return len(reads)


def write_daily_readings(
    conn: Connection, reads: Validated, advance: Advance = lambda _n: None
) -> int:
    if not len(reads):
        return 0
    columns: Columns = {
        "meter_id": Column(reads.meter_id, "int"),
        "day": Column(reads.day, "day"),
        "register_kwh": Column(reads.total_c, "cents"),
        "kwh": _fold(reads.kwh_c, "cents"),
        "source": ReadSource.AMI.value,
        "org_unit_id": _fold(reads.org_unit_id, "int"),
        "peak_kwh": _fold(reads.peak_kwh_c, "cents"),
        "valley_kwh": _fold(reads.valley_kwh_c, "cents"),
        "flags": _fold(reads.flags, "text"),
    }
    _write(conn, DailyReading.__tablename__, [columns], advance)
    daily_totals.add(conn, reads.org_unit_id, reads.day, reads.kwh_c)
    return len(reads)
