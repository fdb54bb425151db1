"""Integrity errors in words: which constraint a write broke, on either backend, and what a
user is told about it — never the SQL, the parameters or the database's own message.

A service that knows what a constraint means turns its violation into its own
:class:`~safegrid.platform.errors.ConflictError` (``conflict_on``); any other violation
that escapes a request is answered 409 by the app with :func:`describe`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Index, Table, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from safegrid.platform.db import Base
from safegrid.platform.errors import SafeGridError

_PG_UNIQUE = "23505"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '(?P<index>[^']+)'|(?P<cols>.+))")
_COMPANION = "_bidx"  # a blind index names its field (security.fields.SEARCHABLE_SUFFIX)


@dataclasses.dataclass(frozen=True)
class Violation:
    unique: bool
    constraint: str | None  # its name in the schema, when the backend tells
    table: str | None = None
    columns: tuple[str, ...] = ()


def violation(exc: IntegrityError) -> Violation:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        name = diag.constraint_name
        table, columns = _columns_of(name, diag.table_name)
        return Violation(getattr(orig, "sqlstate", None) == _PG_UNIQUE, name, table, columns)
    match = _SQLITE_UNIQUE.search(str(orig))
    if match is None:
        return Violation(False, None)
    if match["index"]:
        table, columns = _columns_of(match["index"], None)
        return Violation(True, match["index"], table, columns)
    qualified = [c.strip().split(".", 1) for c in match["cols"].split(",")]
    table = qualified[0][0]
    columns = tuple(c[-1] for c in qualified)
    return Violation(True, _unique_named(table, columns), table, columns)


def _keys(table: Table) -> list[Index | ColumnCollectionConstraint]:
    constraints = [c for c in table.constraints if isinstance(c, ColumnCollectionConstraint)]
    return [*table.indexes, *constraints]


def _unique_named(table_name: str, columns: tuple[str, ...]) -> str | None:
    """SQLite names the columns, not the constraint: find the declared one that has them."""
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    wanted = set(columns)
    for item in _keys(table):
        unique = isinstance(item, UniqueConstraint) or (isinstance(item, Index) and item.unique)
        if unique and {c.name for c in item.columns} == wanted:
            return str(item.name)
    return None


def _columns_of(name: str | None, table_name: str | None) -> tuple[str | None, tuple[str, ...]]:
    for table in Base.metadata.tables.values():
        if table_name is not None and table.name != table_name:
            continue
        for item in _keys(table):
            if name is not None and item.name == name:
                return table.name, tuple(c.name for c in item.columns)
    return table_name, ()


def _field(column: str) -> str:
    return column.removesuffix(_COMPANION)


def describe(exc: IntegrityError) -> str:
    """The 409 message for a violation no service translated (bilingual, no SQL)."""
    found = violation(exc)
    if found.unique:
        what = ", ".join(_field(c) for c in found.columns) or found.constraint or "?"
        where = f"{found.table}." if found.table and found.columns else ""
        return (
            f"与已有记录重复（{where}{what}），未保存任何内容 / duplicates an existing record "
            f"({where}{what}); nothing was saved"
        )
    return (
        "与已存数据冲突（引用的记录不存在、仍被使用或已被他人修改），未保存任何内容 / conflicts "
        "with stored data (a referenced record is missing, still in use or was changed "
        "meanwhile); nothing was saved"
    )


@contextmanager
def conflict_on(constraint: str, error: SafeGridError) -> Iterator[None]:
    """Within the block, a violation of ``constraint`` raises ``error`` instead; any other
    integrity error passes unchanged. The caller's transaction is left to roll back."""
    try:
        yield
    except IntegrityError as exc:
        if violation(exc).constraint == constraint:
            raise error from None
        raise
