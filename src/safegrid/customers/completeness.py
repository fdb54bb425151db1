"""Archive completeness (BILL-1) per org unit, with the list of what is missing.

A customer's archive is complete when the fields its kind requires are filled (a resident:
ID number, mobile, address; an enterprise: unified credit code, mobile, address) and it
has an active account, a supply point with an active meter, and a supply contract. One
set-based query over the caller's scope (ORG-2); the region dashboard reads the figures.
A key customer's emergency plan is not in the archive yet (no table holds it): it is not
counted.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from sqlalchemy import case, exists, select

from safegrid.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    RecordStatus,
    SupplyContract,
    SupplyPoint,
)
from safegrid.org.models import OrgUnit
from safegrid.platform.uow import UnitOfWork

MISSING_LISTED: Final = 200


@dataclasses.dataclass(frozen=True)
class UnitCompleteness:
    org_unit_id: int
    unit_name: str
    customers: int
    complete: int

    @property
    def ratio(self) -> float:
        return round(self.complete / self.customers, 4) if self.customers else 1.0


@dataclasses.dataclass(frozen=True)
class Missing:
    customer_number: str
    org_unit_id: int
    missing: list[str]


@dataclasses.dataclass(frozen=True)
class Completeness:
    units: list[UnitCompleteness]
    missing: list[Missing]  # the first MISSING_LISTED incomplete customers


def completeness(uow: UnitOfWork) -> Completeness:
    with uow:
        resident = Customer.kind == CustomerKind.RESIDENT
        checks = {
            "id_number": case((resident, Customer.id_number.is_not(None)), else_=True),
            "credit_code": case((resident, True), else_=Customer.credit_code.is_not(None)),
            "mobile": Customer.mobile.is_not(None),
            "account": exists().where(
                Account.customer_id == Customer.id, Account.status == RecordStatus.ACTIVE
            ),
            "meter": exists().where(
                Account.customer_id == Customer.id,
                SupplyPoint.account_id == Account.id,
                Meter.supply_point_id == SupplyPoint.id,
                Meter.status == RecordStatus.ACTIVE,
            ),
            "contract": exists().where(SupplyContract.customer_id == Customer.id),
        }
        rows = uow.session.execute(
            select(
                Customer.number,
                Customer.org_unit_id,
                *(c.label(name) for name, c in checks.items()),
            ).where(Customer.status == RecordStatus.ACTIVE)
        ).all()
        names = dict(uow.session.execute(select(OrgUnit.id, OrgUnit.name)).all())
    totals: dict[int, list[int]] = {}
    missing: list[Missing] = []
    for row in rows:
        lacks = [name for name in checks if not getattr(row, name)]
        unit = totals.setdefault(row.org_unit_id, [0, 0])
        unit[0] += 1
        if lacks:
            if len(missing) < MISSING_LISTED:
                missing.append(Missing(row.number, row.org_unit_id, lacks))
        else:
            unit[1] += 1
    units = [
        UnitCompleteness(unit_id, names.get(unit_id, ""), n, done)
        for unit_id, (n, done) in sorted(totals.items())
    ]
    return Completeness(units, missing)
