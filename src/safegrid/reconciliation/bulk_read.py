"""Reading a statement's rows as columns, for the matcher's millions of rows (REC-2).

The statement runs on the session's Core connection, in its transaction, and its rows are
fetched straight from the driver's cursor in batches: the columns asked for are plain
integers and text (nothing for SQLAlchemy to convert), and an ORM or ``Row`` object per
row would cost more than the query. Core carries no org-unit scope: callers read the whole
utility, as ``system_side.WHOLE_UTILITY`` says for their ORM statements.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session

FETCH_ROWS: Final = 50_000


def columns(session: Session, stmt: Any, width: int) -> list[list[Any]]:
    out: list[list[Any]] = [[] for _ in range(width)]
    # Not ``stream_results``: its buffered strategy pre-fetches a row from the cursor.
    result = session.connection().execute(stmt)
    try:
        while part := result.cursor.fetchmany(FETCH_ROWS):
            for column, values in zip(out, zip(*part, strict=True), strict=True):
                column.extend(values)
    finally:
        result.close()
    return out
