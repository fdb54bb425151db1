"""Writing a bill run's rows in bulk: the one adapter where SQLite and PostgreSQL differ.

A million bills cannot go through ORM objects (the row-by-row baseline in
``benchmarks/bill_run.py`` shows what that costs). Rows are written through the driver,
in the caller's transaction: ``executemany`` on SQLite, ``COPY`` on PostgreSQL (psycopg 3),
where executemany would cost a round trip per row.

Values are bound as the ORM would bind them: constants through the column's own type
(dates, aware datetimes), numbers from exact integers — as text on PostgreSQL, and as the
float the ORM's ``Numeric`` also hands to SQLite, which stores REAL either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, Table, func, select, text

Ints = np.ndarray[Any, np.dtype[np.int64]]


class BulkWriter:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.postgres = conn.dialect.name == "postgresql"
        self._cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def close(self) -> None:
        self._cursor.close()

    def bind(self, column: ColumnElement[Any], value: Any) -> Any:
        """A constant as the column's type stores it (e.g. UTC text for SQLite datetimes)."""
        # The dialect's own variant of the type: e.g. SQLite's DATETIME writes the exact text
        # format the ORM writes (and compares) — the generic type would leave it to sqlite3.
        processor = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return processor(value) if processor else value

    def decimal_column(self, units: Ints, scale: int) -> list[Any]:
        """Exact integers of 1/``scale`` as values for a Numeric column."""
        if not self.postgres:
            # SQLAlchemy's Numeric binds a float on SQLite too; it round-trips because
            # scale ≤ 10⁶ and the figures stay far below 2⁵³.
            values: list[Any] = (units / scale).tolist()
            return values
        digits = len(str(scale)) - 1
        whole, part = np.divmod(np.abs(units), scale)
        signs = np.where(units < 0, "-", "")
        return [
            f"{s}{w}.{p:0{digits}d}"
            for s, w, p in zip(signs.tolist(), whole.tolist(), part.tolist(), strict=True)
        ]

    def allocate_ids(self, table: Table, n: int) -> Ints:
        """``n`` fresh primary keys for ``table``, reserved inside this transaction."""
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if self.postgres:
            rows = (
                self.conn.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                    ),
                    {"t": table.name, "n": n},
                )
                .scalars()
                .all()
            )
            return np.array(rows, dtype=np.int64)
        # SQLite: the writer holds the database's write lock (BEGIN IMMEDIATE) from the
        # start of the unit of work, so nobody else can take ids between here and the insert.
        top = self.conn.execute(select(func.max(table.c.id))).scalar() or 0
        return np.arange(top + 1, top + 1 + n, dtype=np.int64)

    def insert(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self._writer(table, columns)(rows)

    def _writer(
        self, table: Table, columns: Sequence[str]
    ) -> Callable[[list[tuple[Any, ...]]], None]:
        names = ", ".join(columns)
        if self.postgres:
            sql = f"COPY {table.name} ({names}) FROM STDIN"

            def copy(rows: list[tuple[Any, ...]]) -> None:
                with self._cursor.copy(sql) as stream:
                    for row in rows:
                        stream.write_row(row)

            return copy
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - fixed names
        return lambda rows: self._cursor.executemany(sql, rows)
