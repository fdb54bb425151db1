"""What a clerk types into the customer search (客户360), read as the kind of key it is.

A 户号, a customer number or a meter asset number match by prefix; a name by fragment; a
full mobile or ID number exactly through its blind index (DATA-2). Two keys cannot use an
index because the values are SM4-encrypted: a masked phone tail (``138****1234`` or
``1234``) and an address fragment. Those are matched by decrypting the column for the
customers in the caller's scope, in the mapping layer like any read, and keeping the ids
that match; nothing is stored in clear and nothing leaves unmasked. The scan is refused
above ``SCAN_LIMIT`` customers in scope: the clerk narrows to a unit first (ADR 0024).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, exists, false, func, select
from sqlalchemy.orm import Session

from safegrid.customers.models import Account, Customer, Meter, SupplyPoint
from safegrid.platform.errors import ValidationProblem
from safegrid.security.fields import matches

SCAN_LIMIT: Final = 200_000
# Words that only an address contains: a query with one of them is also an address fragment.
_ADDRESS_WORDS: Final = re.compile(r"[省市区县镇乡村路街道巷弄号幢栋室楼苑园里]")
_PHONE_TAIL: Final = re.compile(r"^(?:(\d{3})\*{2,6})?\*{0,6}(\d{4})$")


def conditions(session: Session, q: str, base: Select[Any]) -> list[ColumnElement[bool]]:
    """OR-ed conditions on :class:`Customer` for the query ``q``; ``base`` selects the ids
    of the customers the search may return (the caller's scope, kind, unit)."""
    q = q.strip()
    upper = q.upper()
    found: list[ColumnElement[bool]] = [Customer.name.contains(q, autoescape=True)]
    if q.isalnum():
        found.append(Customer.number.startswith(upper, autoescape=True))
        found.append(
            exists(
                select(Account.id).where(
                    Account.customer_id == Customer.id,
                    Account.number.startswith(upper, autoescape=True),
                )
            )
        )
        found.append(
            exists(
                select(Meter.id)
                .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
                .join(Account, Account.id == SupplyPoint.account_id)
                .where(
                    Account.customer_id == Customer.id,
                    Meter.asset_no.startswith(upper, autoescape=True),
                )
            )
        )
    # Encrypted fields match exactly, through their blind indexes (DATA-2).
    if q.isdigit() and len(q) == 11:
        found.append(matches(Customer.mobile, q))
    if len(q) == 18:
        found.append(matches(Customer.id_number, upper))
        found.append(matches(Customer.credit_code, upper))
    tail = _PHONE_TAIL.match(q)
    if tail is not None:
        found.append(_scanned(session, base, Customer.mobile, _phone_test(*tail.groups())))
    if _ADDRESS_WORDS.search(q) and len(q) >= 2:
        found.append(_scanned(session, base, Customer.address, lambda value: q in value))
    return found


def _phone_test(head: str | None, tail: str) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        return value.endswith(tail) and (head is None or value.startswith(head))

    return test


def _scanned(
    session: Session, base: Select[Any], column: Any, test: Callable[[str], bool]
) -> ColumnElement[bool]:
    ids = base.subquery()
    total = session.scalar(select(func.count()).select_from(ids)) or 0
    if total > SCAN_LIMIT:
        raise ValidationProblem(
            "范围内客户过多，请先选择单位 / too many customers in scope for a phone-tail or "
            "address search: choose a unit first",
            field="q",
        )
    rows = session.execute(
        select(Customer.id, column).where(Customer.id.in_(select(ids.c.id)))
    ).all()
    hits = [cid for cid, value in rows if value and test(value)]
    return Customer.id.in_(hits) if hits else false()
