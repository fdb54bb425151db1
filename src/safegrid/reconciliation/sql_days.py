"""Day arithmetic the matcher needs, spelled per backend (the adapter DESIGN asks for):
the Beijing business day of a stored UTC timestamp, and the days between two dates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


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


class plus_days(FunctionElement[Any]):
    """A DATE value moved by a whole number of days (a literal)."""

    type = Date()
    inherit_cache = True


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: Any, **kw: Any) -> str:
    day, n = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({day}, ({n}) || ' days')"


@compiles(plus_days, "postgresql")
def _plus_days_pg(element: plus_days, compiler: Any, **kw: Any) -> str:
    day, n = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({day} AS DATE) + CAST({n} AS INTEGER))"
