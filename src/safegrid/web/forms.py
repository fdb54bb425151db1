"""Turning validation failures into messages next to the form field they concern."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import ValidationError

from safegrid.platform.errors import SafeGridError
from safegrid.web.i18n import N_, localize_message, translate

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


def field_errors(
    exc: ValidationError | SafeGridError, locale: str, fields: Iterable[str]
) -> FieldErrors:
    """Errors of a form post, whether Pydantic or a service refused it."""
    if isinstance(exc, ValidationError):
        return from_pydantic(exc, locale, fields)
    return from_service(exc, locale, fields)
