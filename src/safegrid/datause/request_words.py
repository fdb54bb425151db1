"""Data-use requests in the words people use (issue 13, item 7): the requester picks
customers by 户号 or customer number (never an internal id), and the approver reads who asks
for what — the requester's name, post and unit, the customers by number and name, the unit
a whole-unit request covers.

Read-only and scoped: a number outside the caller's scope is "not found", like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Final

from sqlalchemy import or_, select

from safegrid.customers.models import Account, Customer
from safegrid.datause.schemas import RequestOut
from safegrid.org.models import OrgUnit
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.security.models import StaffAccount

SHOWN: Final = 10  # customers named on an approver's row; the rest are counted


@dataclasses.dataclass(frozen=True)
class PickedCustomer:
    id: int
    number: str
    name: str


def _keys(raw: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for part in raw:
        for key in part.replace("，", ",").replace(" ", ",").split(","):
            if key.strip():
                seen.setdefault(key.strip().upper(), None)
    return list(seen)


def pick_customers(uow: UnitOfWork, raw: Iterable[str]) -> list[PickedCustomer]:
    """Customers by customer number or 户号 (account number), in the order given; a key
    that names no customer in the caller's scope is refused by name."""
    keys = _keys(raw)
    if not keys:
        return []
    with uow:
        rows = uow.session.execute(
            select(Customer.id, Customer.number, Customer.name, Account.number)
            .outerjoin(Account, Account.customer_id == Customer.id)
            .where(or_(Customer.number.in_(keys), Account.number.in_(keys)))
        ).all()
    by_key: dict[str, PickedCustomer] = {}
    for cid, number, name, account_no in rows:
        picked = PickedCustomer(cid, number, name)
        by_key.setdefault(number, picked)
        if account_no is not None:
            by_key.setdefault(account_no, picked)
    missing = [k for k in keys if k not in by_key]
    if missing:
        raise ValidationProblem(
            f"找不到客户 {'、'.join(missing[:5])} / no customer {', '.join(missing[:5])}",
            field="customers",
        )
    unique: dict[int, PickedCustomer] = {}
    for k in keys:
        unique.setdefault(by_key[k].id, by_key[k])
    return list(unique.values())


def customers_by_id(uow: UnitOfWork, ids: Iterable[int]) -> list[PickedCustomer]:
    """The customers of the caller's scope among ``ids`` (a link from the customer page)."""
    with uow:
        return [
            PickedCustomer(cid, number, name)
            for cid, number, name in uow.session.execute(
                select(Customer.id, Customer.number, Customer.name)
                .where(Customer.id.in_(sorted(set(ids))))
                .order_by(Customer.number)
            )
        ]


@dataclasses.dataclass(frozen=True)
class RequestWords:
    requester: str  # real name
    post: str | None
    unit_name: str
    unit_name_en: str
    customers: list[PickedCustomer]  # the first SHOWN
    more_customers: int
    scope_name: str | None
    scope_name_en: str | None


def describe(uow: UnitOfWork, requests: Sequence[RequestOut]) -> dict[int, RequestWords]:
    """Each request (by id) told in words, in three queries for the whole list."""
    if not requests:
        return {}
    shown = {cid for r in requests for cid in (r.customer_ids or [])[:SHOWN]}
    unit_ids = {r.org_unit_id for r in requests} | {
        r.scope_unit_id for r in requests if r.scope_unit_id is not None
    }
    with uow:
        staff = {
            s.id: (s.real_name, s.post)
            for s in uow.session.scalars(
                select(StaffAccount).where(
                    StaffAccount.id.in_(sorted({r.requester_id for r in requests}))
                )
            )
        }
        units = {
            u.id: (u.name, u.name_en)
            for u in uow.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(sorted(unit_ids))))
        }
        customers = {
            cid: PickedCustomer(cid, number, name)
            for cid, number, name in uow.session.execute(
                select(Customer.id, Customer.number, Customer.name).where(
                    Customer.id.in_(sorted(shown))
                )
            )
        }
    words: dict[int, RequestWords] = {}
    for r in requests:
        name, post = staff.get(r.requester_id, (r.requester_name, None))
        unit = units.get(r.org_unit_id, ("", ""))
        scope = units.get(r.scope_unit_id) if r.scope_unit_id is not None else None
        ids = r.customer_ids or []
        named = [customers[c] for c in ids[:SHOWN] if c in customers]
        words[r.id] = RequestWords(
            requester=name,
            post=str(post) if post is not None else None,
            unit_name=unit[0],
            unit_name_en=unit[1],
            customers=named,
            more_customers=len(ids) - len(named),
            scope_name=scope[0] if scope else None,
            scope_name_en=scope[1] if scope else None,
        )
    return words
