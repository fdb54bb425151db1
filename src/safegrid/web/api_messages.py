"""The API's error messages in the caller's language (ADR 0023): the ``Accept-Language`` of
the request, else the configured default (Chinese only: one language per reader, issue 13).
Validation messages go through the console's catalog, so the API and the console say the
same thing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from safegrid.apicontract.error_model import MORE_TYPES
from safegrid.bootstrap import get_platform
from safegrid.web.forms import describe
from safegrid.web.i18n import Locale, as_locale, localize_message, translate


def api_locale(request: Request) -> Locale:
    """The first language of ``Accept-Language`` we speak, else the configured default."""
    for part in request.headers.get("accept-language", "").split(","):
        found = as_locale(part.split(";", 1)[0].strip().lower()[:2])
        if found is not None:
            return found
    return get_platform().settings.default_locale


def localized(message: str, request: Request) -> str:
    return localize_message(message, api_locale(request))


def field_errors(errors: Sequence[Mapping[str, Any]], locale: str) -> list[dict[str, Any]]:
    """FastAPI's validation errors as :class:`FieldError` entries in ``locale``."""
    out = []
    for error in errors:
        kind = str(error.get("type", ""))
        if kind in MORE_TYPES:
            try:
                msg = translate(locale, MORE_TYPES[kind], **(error.get("ctx") or {}))
            except (KeyError, TypeError, ValueError):
                msg = translate(locale, MORE_TYPES[kind].split("%", 1)[0].strip())
        else:
            msg = describe(error, locale)
        out.append({"loc": list(error.get("loc", ())), "msg": msg, "type": kind})
    return out


def localized_for_scope(message: str, scope: Scope) -> str:
    """:func:`localized` for ASGI middleware, which has a scope rather than a request."""
    return localized(message, Request(scope))
