"""Queries of the customer archive. The session's scope (ORG-2, IAM-1) is applied to every
statement by ``safegrid.security.scope``; this module never builds its own region filter."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import selectinload

from safegrid.customers import finder
from safegrid.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    ReadingArea,
    SupplyPoint,
)
from safegrid.org.models import OrgUnit
from safegrid.platform import numbering
from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork


class CustomerRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    def search(
        self, q: str | None, kind: CustomerKind | None, org_unit_id: int | None, paging: PageQuery
    ) -> tuple[list[tuple[Customer, str]], int]:
        filters: list[ColumnElement[bool]] = []
        if kind is not None:
            filters.append(Customer.kind == kind)
        if org_unit_id is not None:
            subtree = select(OrgUnit.path).where(OrgUnit.id == org_unit_id).scalar_subquery()
            filters.append(OrgUnit.path.startswith(subtree))
        if q and q.strip():
            # The customers the search may return, for the keys matched by scanning.
            base = (
                select(Customer.id)
                .join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
                .where(*filters)
            )
            filters.append(or_(*finder.conditions(self.session, q, base)))
        stmt = (
            select(Customer, OrgUnit.name)
            .join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
            .where(*filters)
        )
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.execute(
            stmt.order_by(Customer.id).offset(paging.offset).limit(paging.size)
        ).all()
        return [(c, name) for c, name in rows], total

    def get(self, customer_id: int) -> Customer | None:
        return self.session.scalars(select(Customer).where(Customer.id == customer_id)).first()

    def get_detail(self, customer_id: int) -> Customer | None:
        return self.session.scalars(
            select(Customer)
            .where(Customer.id == customer_id)
            .options(
                selectinload(Customer.accounts)
                .selectinload(Account.supply_points)
                .selectinload(SupplyPoint.meters),
                selectinload(Customer.contracts),
            )
        ).first()

    def account(self, account_id: int) -> Account | None:
        return self.session.scalars(select(Account).where(Account.id == account_id)).first()

    def unit_name(self, org_unit_id: int) -> str | None:
        return self.session.scalar(select(OrgUnit.name).where(OrgUnit.id == org_unit_id))

    def unit(self, org_unit_id: int) -> OrgUnit | None:
        return self.session.scalars(select(OrgUnit).where(OrgUnit.id == org_unit_id)).first()

    def reading_area(self, area_id: int) -> ReadingArea | None:
        return self.session.scalars(select(ReadingArea).where(ReadingArea.id == area_id)).first()

    def meter(self, meter_id: int) -> Meter | None:
        return self.session.scalars(select(Meter).where(Meter.id == meter_id)).first()

    def meters(self, reading_area_id: int | None, paging: PageQuery) -> tuple[list[Meter], int]:
        stmt = select(Meter)
        if reading_area_id is not None:
            stmt = stmt.where(Meter.reading_area_id == reading_area_id)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = self.session.scalars(
            stmt.order_by(Meter.id).offset(paging.offset).limit(paging.size)
        ).all()
        return list(items), total

    def take_number(self, prefix: str) -> str:
        """The next customer or account number under ``prefix`` (``K0012`` → ``K00120000042``),
        from the prefix's locked counter row (never ``MAX + 1``)."""
        return numbering.take(self.session, prefix)[0]
