"""Queries of the customer archive. The session's scope (ORG-2, IAM-1) is applied to every
statement by ``safegrid.security.scope``; this module never builds its own region filter."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from safegrid.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    ReadingArea,
    SupplyPoint,
)
from safegrid.org.models import OrgUnit
from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.fields import matches
from safegrid.security.scope import unscoped


class CustomerRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    def search(
        self, q: str | None, kind: CustomerKind | None, org_unit_id: int | None, paging: PageQuery
    ) -> tuple[list[tuple[Customer, str]], int]:
        stmt = select(Customer, OrgUnit.name).join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
        if q:
            q = q.strip()
            like = f"%{q}%"
            conditions = [Customer.name.like(like), Customer.number.startswith(q)]
            # Encrypted fields match exactly, through their blind indexes (DATA-2).
            if q.isdigit() and len(q) == 11:
                conditions.append(matches(Customer.mobile, q))
            if len(q) == 18:
                conditions.append(matches(Customer.id_number, q.upper()))
                conditions.append(matches(Customer.credit_code, q.upper()))
            stmt = stmt.where(or_(*conditions))
        if kind is not None:
            stmt = stmt.where(Customer.kind == kind)
        if org_unit_id is not None:
            subtree = select(OrgUnit.path).where(OrgUnit.id == org_unit_id).scalar_subquery()
            stmt = stmt.where(OrgUnit.path.startswith(subtree))
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

    def next_number(self, prefix: str, model: type[Customer] | type[Account]) -> str:
        """Next sequential number under a prefix, taken inside the writer's lock."""
        last = self.session.scalar(
            select(func.max(model.number)).where(model.number.startswith(prefix)),
            execution_options=unscoped("numbers are unique platform-wide"),
        )
        seq = int(last[len(prefix) :]) + 1 if last else 1
        return f"{prefix}{seq:07d}"

    def id_number_taken(self, id_number: str) -> bool:
        return (
            self.session.scalar(
                select(Customer.id).where(matches(Customer.id_number, id_number)),
                execution_options=unscoped("one person, one archive, utility-wide"),
            )
            is not None
        )

    def asset_taken(self, asset_no: str) -> bool:
        return (
            self.session.scalar(
                select(Meter.id).where(Meter.asset_no == asset_no),
                execution_options=unscoped("meter asset numbers are unique utility-wide"),
            )
            is not None
        )
