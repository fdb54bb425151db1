"""Display masking of sensitive values (DATA-3) and masked snapshots for audit (AUD-1).

A column declares its class once with ``info={"sensitive": <kind>}``; every value that
leaves the service layer through a snapshot or a response schema is masked by kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from sqlalchemy import inspect

SensitiveKind = Literal["id_number", "phone", "address", "bank_account", "credit_code"]

_DIGIT = re.compile(r"[0-9０-９一二三四五六七八九十百]+[号弄栋幢室楼]|[0-9０-９]")
_STREET_MARKERS = ("路", "街", "道", "巷", "村", "弄")


def mask_id_number(value: str) -> str:
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_bank_account(value: str) -> str:
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_address(value: str) -> str:
    """Keep province … street; the house number and everything after becomes ``***``."""
    first_digit = _DIGIT.search(value)
    if first_digit:
        return value[: first_digit.start()] + "***"
    cut = max(value.rfind(marker) for marker in _STREET_MARKERS)
    if 0 <= cut < len(value) - 1:
        return value[: cut + 1] + "***"
    # No number and no street word: keep only the first half rather than guess.
    return value[: max(len(value) // 2, 1)] + "***"


def mask_credit_code(value: str) -> str:
    # An enterprise's code is public record (GB 32100), shown in full.
    return value


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "address": mask_address,
    "bank_account": mask_bank_account,
    "credit_code": mask_credit_code,
}


def mask(kind: str, value: str | None) -> str | None:
    if value is None or value == "":
        return value
    return MASKERS[kind](value)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """Column values of an ORM object, sensitive ones masked — the before/after of audit."""
    mapper = inspect(obj).mapper
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if column.info.get("bidx_of"):
            continue  # a keyed hash of a value already shown masked: noise, not history
        value = getattr(obj, attr.key)
        kind = column.info.get("sensitive")
        if kind and isinstance(value, str):
            value = mask(kind, value)
        elif column.info.get("secret"):
            value = "<redacted>" if value else value
        out[attr.key] = _plain(value)
    return out
