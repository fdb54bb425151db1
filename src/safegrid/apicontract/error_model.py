"""The one error model of the API (issue 12 defect 8, ADR 0023): every 4xx answer of
``/api`` is an :class:`ApiError`, and the OpenAPI document says so (apicontract.openapi_doc).

``detail`` is one sentence for an error a service found (``field`` names the input it
concerns) or, for a request that failed validation, one :class:`FieldError` per invalid
input (``field`` then names the first). Messages are in the caller's language: the
``Accept-Language`` of the request, else the configured default (Chinese, which carries the
English half too, as everywhere in SafeGrid) — web.api_messages, which the app wires in,
since this package is imported by the domains and must not import the console."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pydantic import BaseModel, Field


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


# Pydantic error types the console's table (web.forms) does not translate: English msgids,
# translated in web/locales (web.api_messages looks them up).
MORE_TYPES: Final[dict[str, str]] = {
    "greater_than_equal": ("Must be at least %(ge)s."),
    "less_than": ("Must be less than %(lt)s."),
    "less_than_equal": ("Must be at most %(le)s."),
    "json_invalid": ("The request body is not valid JSON."),
    "model_attributes_type": ("An object is expected here."),
    "dict_type": ("An object is expected here."),
    "list_type": ("A list is expected here."),
    "string_type": ("Text is expected here."),
    "bool_parsing": ("Enter true or false."),
    "bool_type": ("Enter true or false."),
    "date_parsing": ("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": ("Enter a date as YYYY-MM-DD."),
    "date_type": ("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": ("Enter a date and time (ISO 8601)."),
    "datetime_from_date_parsing": ("Enter a date and time (ISO 8601)."),
    "datetime_type": ("Enter a date and time (ISO 8601)."),
    "timezone_aware": ("The time needs a time zone."),
    "decimal_parsing": ("Enter a number."),
    "decimal_type": ("Enter a number."),
    "decimal_max_places": ("At most %(decimal_places)s decimal places."),
    "decimal_max_digits": ("At most %(max_digits)s digits."),
    "float_parsing": ("Enter a number."),
    "int_from_float": ("Enter a whole number."),
    "finite_number": ("Enter a finite number."),
    "extra_forbidden": ("This field is not accepted here."),
    "string_unicode": ("Text must be valid UTF-8."),
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


def field_of(loc: Sequence[str | int]) -> str:
    """``["body", "readings", 1, "asset_no"]`` → ``readings.1.asset_no``; a whole-body or
    whole-query error names ``body``."""
    inner = (
        list(loc[1:])
        if loc and loc[0] in ("body", "query", "path", "header", "cookie")
        else list(loc)
    )
    return ".".join(str(part) for part in inner) or (str(loc[0]) if loc else "body")
