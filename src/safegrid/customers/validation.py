"""Identity numbers of people and enterprises, and mobile numbers.

- Resident ID number: GB 11643-1999, 17 digits + ISO 7064 MOD 11-2 check character.
- Unified social credit code: GB 32100-2015, 18 characters + MOD 31 check character.
"""

from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# First two digits of a mainland administrative division code (GB/T 2260).
_PROVINCE_PREFIXES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
    }
)


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_problem(value: str) -> str | None:
    """``None`` when valid, else a sentence naming what is wrong."""
    if len(value) != 18:
        return "must be 18 characters"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "must be 17 digits followed by a digit or X"
    if int(value[:2]) not in _PROVINCE_PREFIXES:
        return "region code is not a mainland province"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth date is not a real date"
    if born.year < 1900 or born > date.today():  # noqa: DTZ011 - a calendar date bound
        return "birth date is out of range"
    if id_check_char(value[:17]) != value[17]:
        return "check digit is wrong"
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def credit_code_problem(value: str) -> str | None:
    if len(value) != 18:
        return "must be 18 characters"
    if not _USCC_SHAPE.match(value):
        return "contains characters not allowed in a unified social credit code"
    if uscc_check_char(value[:17]) != value[17]:
        return "check character is wrong"
    return None


def mobile_problem(value: str) -> str | None:
    return None if _MOBILE.match(value) else "must be an 11-digit mainland mobile number"
