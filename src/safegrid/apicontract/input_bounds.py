"""Bounds on every value a request carries, checked where FastAPI validates the request, so
an out-of-range value is a 422 naming the field instead of an ``OverflowError`` (or a
PostgreSQL ``NumericValueOutOfRange``) when it reaches the database, a ``year 0`` when a
period is turned into a date, or a NUL byte PostgreSQL refuses in a text column.

One place for all routes (ADR 0023): :func:`bound_request_values` wraps the validation of
every path, query, header, cookie, form and body parameter of every route of the app, and
checks the validated value — scalars, and the fields of body models and lists at any depth.
The routes and schemas keep their own narrower rules (``ge=1``, patterns, enums); these are
the floor under all of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

# PostgreSQL ``integer`` (int4) holds most keys and counts; no request integer of this
# platform (ids, pages, days, counts) needs more, and a larger one cannot match a row.
INT_MIN: Final = -(2**31)
INT_MAX: Final = 2**31 - 1
# Business dates (readings, bills, work orders, birth dates on ID numbers) and timestamps.
YEAR_MIN: Final = 1900
YEAR_MAX: Final = 2199
# ``YYYY-MM`` of a billing or reading period, within the same years.
PERIOD_PATTERN: Final = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"
# C0 controls other than tab, newline and carriage return (a textarea sends those), DEL and
# the C1 controls: never typed by a person; NUL is refused by PostgreSQL text columns.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Loc = tuple[int | str, ...]
Problem = dict[str, Any]

_WRAPPED: Final = "_safegrid_bounded"


def problems(value: Any, loc: Loc) -> Iterator[Problem]:
    """Each out-of-range scalar inside ``value``, as a FastAPI validation error."""
    if isinstance(value, bool | Enum) or value is None:
        return
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            yield _problem(
                loc,
                "int_out_of_range",
                f"整数超出范围（{INT_MIN} 至 {INT_MAX}） / integer out of range "
                f"({INT_MIN} to {INT_MAX})",
                value,
            )
    elif isinstance(value, date):  # datetime is a date too
        if not YEAR_MIN <= value.year <= YEAR_MAX:
            kind = "datetime" if isinstance(value, datetime) else "date"
            yield _problem(
                loc,
                f"{kind}_out_of_range",
                f"日期超出范围（{YEAR_MIN} 至 {YEAR_MAX} 年） / {kind} outside the years "
                f"{YEAR_MIN} to {YEAR_MAX}",
                value.isoformat(),
            )
    elif isinstance(value, str):
        if _CONTROL.search(value):
            yield _problem(
                loc,
                "string_control_character",
                "含有控制字符 / contains a control character",
                value,
            )
    elif isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            yield from problems(getattr(value, name, None), (*loc, field.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from problems(key, (*loc, str(key)))
            yield from problems(item, (*loc, str(key)))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from problems(item, (*loc, index))


def _problem(loc: Loc, kind: str, msg: str, value: Any) -> Problem:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


def _bounded(validate: Callable[..., tuple[Any, list[Any]]]) -> Callable[..., Any]:
    def validate_within_bounds(
        value: Any, values: dict[str, Any] | None = None, *, loc: Loc = ()
    ) -> tuple[Any, list[Any]]:
        result, errors = validate(value, values if values is not None else {}, loc=loc)
        if errors:
            return result, errors
        found = list(problems(result, loc))
        return (None, found) if found else (result, [])

    setattr(validate_within_bounds, _WRAPPED, True)
    return validate_within_bounds


def _request_fields(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.path_params
    yield from dependant.query_params
    yield from dependant.header_params
    yield from dependant.cookie_params
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _request_fields(sub)


def _dependants(app: FastAPI) -> Iterator[Dependant]:
    """The dependant FastAPI solves for each route. FastAPI ≥ 0.16x builds one per
    inclusion of a router (its "effective route context"), not the router's own."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: the app's routes are the routes that run
        contexts: Sequence[Any] = app.routes
    else:
        contexts = list(iter_route_contexts(app.routes))
    for context in contexts:
        dependant = getattr(context, "dependant", None)
        if isinstance(dependant, Dependant):
            yield dependant


def bound_request_values(app: FastAPI) -> None:
    """Check every request parameter of every route against the bounds above (idempotent:
    routers are module singletons shared by every app a process creates)."""
    for dependant in _dependants(app):
        for field in _request_fields(dependant):
            if not getattr(field.validate, _WRAPPED, False):
                field.validate = _bounded(field.validate)
