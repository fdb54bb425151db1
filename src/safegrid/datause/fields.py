"""Which customer fields a grant can unmask, read off the sensitive-column declaration
(DATA-1) instead of a list kept here: a newly declared customer column is covered by the
same request/grant/access-log path without touching this package."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from safegrid.customers.models import Customer

# Public record (GB 32100): shown in full everywhere, nothing to reveal.
NEVER_MASKED = frozenset({"credit_code"})


@lru_cache
def revealable() -> dict[str, str]:
    """Sensitive kind → attribute of :class:`Customer` holding it."""
    out: dict[str, str] = {}
    for attr in Customer.__mapper__.column_attrs:
        kind = attr.columns[0].info.get("sensitive")
        if kind and kind not in NEVER_MASKED and kind not in out:
            out[str(kind)] = attr.key
    return out


def value_of(customer: Customer, kind: str) -> Any:
    return getattr(customer, revealable()[kind])
