"""Which currency codes are real: ISO 4217 as Babel's CLDR data knows it (no list of ours)."""

from __future__ import annotations

import functools

from babel.numbers import list_currencies


@functools.cache
def known() -> frozenset[str]:
    return frozenset(list_currencies())


def is_known(code: str) -> bool:
    return code in known()
