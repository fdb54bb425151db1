"""The few SQL expressions that SQLite and PostgreSQL spell differently, in one adapter
(DESIGN: no backend-specific SQL outside an adapter)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Date, Integer, LargeBinary, Text, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.selectable import GenerativeSelect

_Claim = TypeVar("_Claim", bound=GenerativeSelect)


class json_text(FunctionElement[str]):
    """The value at a top-level key of a JSON document stored as text, as text (NULL for a
    JSON null or a missing key)."""

    type = Text()
    inherit_cache = True

    def __init__(self, document: ColumnElement[Any], key: str) -> None:
        # The key travels as a bound parameter so it is part of the statement cache key.
        super().__init__(document, literal(key, Text()))


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: Any, **kw: Any) -> str:
    document, key = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(json_extract({document}, '$.' || {key}) AS TEXT)"


@compiles(json_text, "postgresql")
def _json_text_pg(element: json_text, compiler: Any, **kw: Any) -> str:
    document, key = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({document} AS JSON) ->> {key})"


class utc_iso_text(FunctionElement[str]):
    """A stored UTCDateTime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` text."""

    type = Text()
    inherit_cache = True


@compiles(utc_iso_text, "sqlite")
def _utc_iso_sqlite(element: utc_iso_text, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite.
    (column,) = element.clauses
    return f"(replace({compiler.process(column, **kw)}, ' ', 'T') || 'Z')"


@compiles(utc_iso_text, "postgresql")
def _utc_iso_pg(element: utc_iso_text, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return (
        f"to_char({compiler.process(column, **kw)} AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
    )


class text_bytes(FunctionElement[bytes]):
    """A text column's UTF-8 bytes, so a reader hashing it skips decoding and re-encoding
    (the audit verifier's hot loop)."""

    type = LargeBinary()
    inherit_cache = True


@compiles(text_bytes, "sqlite")
def _text_bytes_sqlite(element: text_bytes, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"CAST({compiler.process(column, **kw)} AS BLOB)"


@compiles(text_bytes, "postgresql")
def _text_bytes_pg(element: text_bytes, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"convert_to({compiler.process(column, **kw)}, 'UTF8')"


class business_date(FunctionElement[Any]):
    """The Asia/Shanghai calendar day of a UTCDateTime column (China keeps UTC+8, no DST)."""

    type = Date()
    inherit_cache = True


@compiles(business_date, "sqlite")
def _business_date_sqlite(element: business_date, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"date({compiler.process(column, **kw)}, '+8 hours')"


@compiles(business_date, "postgresql")
def _business_date_pg(element: business_date, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"CAST(({compiler.process(column, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


class days_between(FunctionElement[int]):
    """``a - b`` in whole days, for two DATE values."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({a}) - julianday({b}) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_between_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"({a} - {b})"


def insert_skipping_conflicts(table: Any, dialect_name: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` (same words on both backends, but SQLAlchemy
    builds it only from a dialect's own ``insert``): rows that would break a unique
    constraint are skipped, and ``RETURNING`` reports only the rows inserted."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def claim_skipping_locked(stmt: _Claim) -> _Claim:
    """Rows a worker claims while others claim too (the outbox relay): on PostgreSQL
    ``FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint rows without waiting
    for each other. SQLite has no row locks and SQLAlchemy leaves the clause out there: a
    writing unit of work holds the database's write lock from its first statement (BEGIN
    IMMEDIATE), so claims are serialised instead."""
    return stmt.with_for_update(skip_locked=True)


def upsert(table: Any, dialect_name: str, key: list[str], set_: dict[str, Any]) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET …`` (same words on both backends): one
    atomic statement that creates a row or changes the existing one, and on PostgreSQL
    leaves it row-locked until the transaction ends — the portable way to take a counter
    or a lock row that may not exist yet. Chain ``.values(...)`` and ``.returning(...)``."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_update(index_elements=key, set_=set_)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_update(index_elements=key, set_=set_)
