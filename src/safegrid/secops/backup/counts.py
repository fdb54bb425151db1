"""Row counts per table, the restore drill's second check after the audit chain."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from safegrid.tables import metadata


def row_counts(conn: Connection) -> dict[str, int]:
    return {
        name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in sorted(metadata.tables.items())
    }
