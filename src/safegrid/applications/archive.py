"""Smart form filling (智能填单, HALL-6): what the archive already knows about an account —
name, supply address, contact, present capacity and voltage, meters, contract — read once
and shown masked; the applicant only adds what is new."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from safegrid.applications.applicants import PortalCustomer, account_for
from safegrid.applications.kinds import KINDS
from safegrid.applications.schemas import ApplicationForm
from safegrid.customers.models import Account, Customer, Meter, SupplyContract, SupplyPoint
from safegrid.fieldwork.refusals import logged
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask
from safegrid.security.scope import unscoped

# Refusals of every application step, the form included, are audited under one action.
REFUSED = "application.refused"


@dataclasses.dataclass(frozen=True)
class ArchiveFacts:
    """Plain archive values, used inside the service only (never returned as they are)."""

    customer: Customer
    account: Account
    address: str
    voltage_kv: Decimal | None
    capacity_kva: Decimal | None
    contract_kva: Decimal | None
    meters: list[str]


def _opts(customer: PortalCustomer | None) -> dict[str, Any]:
    # A portal customer reads his own bound account wherever it is; staff stay in scope.
    if customer is None:
        return {}
    return unscoped("a portal customer's own bound account, in any unit")


def facts(uow: UnitOfWork, account: Account, customer: PortalCustomer | None) -> ArchiveFacts:
    s, opts = uow.session, _opts(customer)
    owner = s.scalars(
        select(Customer).where(Customer.id == account.customer_id), execution_options=opts
    ).one()
    points = s.execute(
        select(SupplyPoint.address, SupplyPoint.voltage_kv, SupplyPoint.capacity_kva)
        .where(SupplyPoint.account_id == account.id)
        .order_by(SupplyPoint.id),
        execution_options=opts,
    ).all()
    meters = s.scalars(
        select(Meter.asset_no)
        .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
        .where(SupplyPoint.account_id == account.id)
        .order_by(Meter.id),
        execution_options=opts,
    ).all()
    contract = s.scalar(
        select(func.sum(SupplyContract.capacity_kva)).where(
            SupplyContract.customer_id == owner.id, SupplyContract.valid_to.is_(None)
        ),
        execution_options=opts,
    )
    return ArchiveFacts(
        customer=owner,
        account=account,
        address=points[0].address if points else owner.address,
        voltage_kv=points[0].voltage_kv if points else None,
        capacity_kva=sum((p.capacity_kva for p in points), Decimal(0)) if points else None,
        contract_kva=contract,
        meters=list(meters),
    )


def prefill(
    uow: UnitOfWork, account_no: str, *, customer: PortalCustomer | None = None
) -> ApplicationForm:
    """The application form for ``account_no``, filled from the archive. ``customer``: the
    portal's signed-in customer (the account must be one he bound); ``None``: hall staff."""
    with logged(uow, REFUSED, "account", [account_no]), uow:
        account = account_for(uow, account_no, customer)
        f = facts(uow, account, customer)
        return ApplicationForm(
            account_no=account.number,
            customer_number=f.customer.number,
            customer_kind=f.customer.kind.value,
            applicant_name=f.customer.name,
            site_address=mask("address", f.address) or "",
            contact_phone=mask("phone", f.customer.mobile),
            voltage_kv=f.voltage_kv,
            current_capacity_kva=f.capacity_kva,
            contract_capacity_kva=f.contract_kva,
            meters=f.meters,
            kinds={code: k.label for code, k in KINDS.items()},
            required_documents={code: [d.value for d in k.documents] for code, k in KINDS.items()},
        )
