"""The one error model of the API (issue 12 defect 8, ADR 0023): every 4xx answer of
``/api`` is an :class:`ApiError`, and the OpenAPI document says so (apicontract.openapi_doc).

``detail`` is one sentence for an error a service found (``field`` names the input it
concerns) or, for a request that failed validation, one :class:`FieldError` per invalid
input (``field`` then names the first). Messages are in the caller's language: the
``Accept-Language`` of the request, else the configured default (Chinese, which carries the
English half too, as everywhere in SafeGrid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, Field
from starlette.requests import Request

from safegrid.bootstrap import get_platform
from safegrid.web.forms import describe
from safegrid.web.i18n import N_, Locale, as_locale, localize_message, translate


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body/query/path/header, then the field")
    msg: str = Field(description="what is wrong, in the caller's language")
    type: str = Field(description="machine-readable kind, e.g. missing, int_out_of_range")


class ApiError(BaseModel):
    """Every client error of the API (4xx)."""

    detail: str | list[FieldError] = Field(
        description="the message; for a request that failed validation, one entry per field"
    )
    field: str | None = Field(None, description="the input the error concerns (dotted path)")
    code: str | None = Field(None, description="machine-readable kind, when there is one")


# Pydantic error types the console's table (web.forms) does not translate.
_MORE_TYPES: Final[dict[str, str]] = {
    "greater_than_equal": N_("Must be at least %(ge)s."),
    "less_than": N_("Must be less than %(lt)s."),
    "less_than_equal": N_("Must be at most %(le)s."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("An object is expected here."),
    "dict_type": N_("An object is expected here."),
    "list_type": N_("A list is expected here."),
    "string_type": N_("Text is expected here."),
    "bool_parsing": N_("Enter true or false."),
    "bool_type": N_("Enter true or false."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": N_("Enter a date and time (ISO 8601)."),
    "datetime_from_date_parsing": N_("Enter a date and time (ISO 8601)."),
    "datetime_type": N_("Enter a date and time (ISO 8601)."),
    "timezone_aware": N_("The time needs a time zone."),
    "decimal_parsing": N_("Enter a number."),
    "decimal_type": N_("Enter a number."),
    "decimal_max_places": N_("At most %(decimal_places)s decimal places."),
    "decimal_max_digits": N_("At most %(max_digits)s digits."),
    "float_parsing": N_("Enter a number."),
    "int_from_float": N_("Enter a whole number."),
    "finite_number": N_("Enter a finite number."),
    "extra_forbidden": N_("This field is not accepted here."),
    "string_unicode": N_("Text must be valid UTF-8."),
}

# Framework answers (no route, wrong method, body too large) in the caller's language.
STATUS_TEXT: Final[dict[int, str]] = {
    400: "请求无效 / bad request",
    404: "未找到 / not found",
    405: "不支持此请求方法 / method not allowed",
    406: "不支持所请求的格式 / not acceptable",
    413: "请求体过大 / the request body is too large",
    415: "不支持此内容类型 / unsupported media type",
}
SERVER_ERROR: Final = "服务器内部错误，已记录 / internal server error, it has been logged"


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
        if kind in _MORE_TYPES:
            try:
                msg = translate(locale, _MORE_TYPES[kind], **(error.get("ctx") or {}))
            except (KeyError, TypeError, ValueError):
                msg = translate(locale, _MORE_TYPES[kind].split("%", 1)[0].strip())
        else:
            msg = describe(error, locale)
        out.append({"loc": list(error.get("loc", ())), "msg": msg, "type": kind})
    return out


def field_of(loc: Sequence[str | int]) -> str:
    """``["body", "readings", 1, "asset_no"]`` → ``readings.1.asset_no``; a whole-body or
    whole-query error names ``body``."""
    inner = (
        list(loc[1:])
        if loc and loc[0] in ("body", "query", "path", "header", "cookie")
        else list(loc)
    )
    return ".".join(str(part) for part in inner) or (str(loc[0]) if loc else "body")
