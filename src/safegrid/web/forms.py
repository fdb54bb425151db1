"""Turning validation failures into messages next to the form field they concern."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from safegrid.platform.errors import ConflictError, SafeGridError, ValidationProblem
from safegrid.web.i18n import N_, localize_message, request_locale, translate

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

FORM: Final = ""  # key of errors that belong to the whole form, not one field

# Pydantic error types whose English text we replace by a translated one.
_BY_TYPE: Final[dict[str, str]] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("At least %(min_length)s characters."),
    "string_too_long": N_("At most %(max_length)s characters."),
    "string_pattern_mismatch": N_("The format is not valid."),
    "greater_than": N_("Must be greater than %(gt)s."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "enum": N_("Choose one of the listed values."),
    "literal_error": N_("Choose one of the listed values."),
}


class FieldErrors(dict[str, list[str]]):
    """Messages per form field; the empty key holds errors of the form as a whole."""

    def add(self, field: str | None, message: str) -> None:
        self.setdefault(field or FORM, []).append(message)

    def of(self, field: str) -> list[str]:
        return self.get(field, [])


def describe(error: Mapping[str, Any], locale: str) -> str:
    """One Pydantic error as a sentence in the reader's language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _BY_TYPE:
        try:
            return translate(locale, _BY_TYPE[kind], **ctx)
        except (KeyError, TypeError, ValueError):
            return translate(locale, _BY_TYPE[kind].split("%", 1)[0].strip() or kind)
    message = str(error.get("msg", ""))
    # Our validators raise "中文 / English"; Pydantic prefixes them with its own words.
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return localize_message(message, locale)


def from_pydantic(exc: ValidationError, locale: str, fields: Iterable[str]) -> FieldErrors:
    known = list(fields)
    errors = FieldErrors()
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        field = loc[0] if loc and loc[0] in known else None
        text = describe(error, locale)
        if field is None:
            # A model-level rule ("a resident needs id_number") names its field in the text;
            # showing it next to that field is where the clerk will look.
            field = next((name for name in known if name in str(error.get("msg", ""))), None)
        errors.add(field, text)
    return errors


def from_service(exc: SafeGridError, locale: str, fields: Iterable[str]) -> FieldErrors:
    errors = FieldErrors()
    errors.add(
        exc.field if exc.field in set(fields) else None, localize_message(exc.message, locale)
    )
    return errors


def submit(
    request: Request,
    schema: type[M],
    payload: Mapping[str, Any],
    fields: Iterable[str],
    act: Callable[[M], R],
    *,
    done: Callable[[R], Response],
    again: Callable[[FieldErrors, int], Response],
    refused: tuple[type[SafeGridError], ...] = (ValidationProblem, ConflictError),
) -> Response:
    """A console form post: payload → ``schema`` → ``act`` (the service) → ``done(result)``.

    A payload the schema rejects comes back through ``again`` with 422 and the messages
    next to their fields; so does a refusal of the service (one of ``refused``) with its
    own status. Nothing is written in either case: the service runs in one unit of work.
    """
    known = tuple(fields)
    locale = request_locale(request)
    try:
        data = schema.model_validate(payload)
    except ValidationError as exc:
        return again(from_pydantic(exc, locale, known), 422)
    try:
        result = act(data)
    except refused as exc:
        return again(from_service(exc, locale, known), exc.status_code)
    return done(result)
