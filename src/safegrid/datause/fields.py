"""Which customer fields a grant can unmask, read off the sensitive-column declaration
(DATA-1) instead of a list kept here: a newly declared customer column is covered by the
same request/grant/access-log path without touching this package."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from safegrid.customers.models import Account, Customer

# Public record (GB 32100): shown in full everywhere, nothing to reveal.
NEVER_MASKED = frozenset({"credit_code"})


@lru_cache
def revealable() -> dict[str, str]:
    """Sensitive kind → attribute holding it: of :class:`Customer`, or ``accounts.<attr>``
    for what sits on the customer's power accounts (the direct-debit bank account)."""
    out: dict[str, str] = {}
    for prefix, model in (("", Customer), ("accounts.", Account)):
        for attr in model.__mapper__.column_attrs:
            kind = attr.columns[0].info.get("sensitive")
            if kind and kind not in NEVER_MASKED and kind not in out:
                out[str(kind)] = prefix + attr.key
    return out


def value_of(customer: Customer, kind: str) -> Any:
    path = revealable()[kind]
    if not path.startswith("accounts."):
        return getattr(customer, path)
    # One customer may hold several accounts: reveal them together, in account order.
    attr = path.removeprefix("accounts.")
    values = [getattr(a, attr) for a in sorted(customer.accounts, key=lambda a: a.id)]
    present = [v for v in values if v]
    return "、".join(present) if present else None
