"""Writing the matcher's conclusions in bulk, column by column: the adapter where SQLite and
PostgreSQL differ (REC-2).

On PostgreSQL the columns become ``COPY … FROM STDIN`` text in large blocks, formatted a
column at a time (psycopg's ``write_row`` formats a row at a time, and at a million rows
that was the run's largest client cost); on SQLite the rows go to one ``executemany``.
Values arrive as the caller built them: integers, text, None, and money as whole fen, which
becomes the column's exact decimal text on PostgreSQL and the float SQLAlchemy's
``Numeric`` also binds on SQLite (:class:`~safegrid.billing.bulk_store.BulkWriter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from sqlalchemy import Table
from sqlalchemy.orm import Session

from safegrid.billing.bulk_store import BulkWriter

BLOCK_ROWS: Final = 100_000
# COPY's text format: these four characters are escaped inside a value, NULL is \N.
_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL: Final = "\\N"


class Money(list[int | None]):
    """A column of whole fen (None: no value)."""


def copy_text(values: Sequence[Any]) -> list[str]:
    """A column's values as COPY text fields."""
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        if any(isinstance(v, int) for v in values):
            return [NULL if v is None else str(v) for v in values]
        # Dates and instants: a month has few distinct ones (the run's instant is one).
        memo: dict[Any, str] = {None: NULL}
        return [memo[v] if v in memo else memo.setdefault(v, str(v)) for v in values]
    # One scan of the whole column instead of four per value (references are plain).
    joined = "\x00".join(texts)
    if not any(c in joined for c in "\\\t\n\r"):
        return [NULL if v is None else v for v in values]
    return [NULL if v is None else v.translate(_ESCAPES) for v in values]


def money_text(fen: Sequence[int | None], memo: dict[int | None, str]) -> list[str]:
    """Whole fen as NUMERIC text (``-12.05``), exactly. ``memo`` is shared between a row's
    money columns: a matched pair's bank amount is its system amount, most differences 0."""
    out: list[str] = []
    append = out.append
    for v in fen:
        text = memo.get(v)
        if text is None:
            if v is None:
                text = NULL
            else:
                whole, part = divmod(abs(v), 100)
                text = f"{'-' if v < 0 else ''}{whole}.{part:02d}"
            memo[v] = text
        append(text)
    return out


def insert_columns(
    session: Session, table: Table, names: Sequence[str], columns: Sequence[Sequence[Any]]
) -> None:
    """Insert the rows the columns spell, in the session's transaction."""
    if not columns or not len(columns[0]):
        return
    conn = session.connection()
    writer = BulkWriter(conn)
    try:
        if not writer.postgres:
            plain = [_sqlite_money(writer, c) if isinstance(c, Money) else c for c in columns]
            writer.insert(table, names, list(zip(*plain, strict=True)))
            return
        memo: dict[int | None, str] = {}
        texts = [money_text(c, memo) if isinstance(c, Money) else copy_text(c) for c in columns]
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(sql) as stream:
                rows = len(texts[0])
                for start in range(0, rows, BLOCK_ROWS):
                    block = [t[start : start + BLOCK_ROWS] for t in texts]
                    lines = map("\t".join, zip(*block, strict=True))
                    stream.write("\n".join(lines) + "\n")
        finally:
            cursor.close()
    finally:
        writer.close()


def _sqlite_money(writer: BulkWriter, fen: Money) -> list[Any]:
    values = writer.decimal_column(np.array([v or 0 for v in fen], np.int64), 100)
    return [None if v is None else value for v, value in zip(fen, values, strict=True)]
