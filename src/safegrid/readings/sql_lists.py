"""``column IN (<list>)`` with the whole list as ONE bound parameter (a JSON array), the
adapter between SQLite and PostgreSQL for it (DESIGN: backend-specific SQL only in an
adapter).

A batch names tens of thousands of meters; as ordinary IN lists they would be split into
chunks and cost SQLAlchemy more time to expand than the database takes to answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Text, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class in_ints(FunctionElement[bool]):
    """``column`` is one of the integers ``values``."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: Any, values: Sequence[int]) -> None:
        super().__init__(column, literal(json.dumps([int(v) for v in values]), Text()))


class in_texts(FunctionElement[bool]):
    """``column`` is one of the strings ``values``."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: Any, values: Sequence[str]) -> None:
        super().__init__(column, literal(json.dumps(list(values), ensure_ascii=False), Text()))


def _parts(element: FunctionElement[bool], compiler: Any, **kw: Any) -> tuple[str, str]:
    column, document = (compiler.process(c, **kw) for c in element.clauses)
    return column, document


@compiles(in_ints, "sqlite")
@compiles(in_texts, "sqlite")
def _in_sqlite(element: FunctionElement[bool], compiler: Any, **kw: Any) -> str:
    column, document = _parts(element, compiler, **kw)
    return f"{column} IN (SELECT value FROM json_each({document}))"  # noqa: S608 - compiled fragments


@compiles(in_ints, "postgresql")
def _in_ints_pg(element: in_ints, compiler: Any, **kw: Any) -> str:
    column, document = _parts(element, compiler, **kw)
    elements = f"json_array_elements_text(CAST({document} AS JSON))"
    return f"{column} IN (SELECT CAST(v AS BIGINT) FROM {elements} AS v)"  # noqa: S608


@compiles(in_texts, "postgresql")
def _in_texts_pg(element: in_texts, compiler: Any, **kw: Any) -> str:
    column, document = _parts(element, compiler, **kw)
    return f"{column} IN (SELECT json_array_elements_text(CAST({document} AS JSON)))"
