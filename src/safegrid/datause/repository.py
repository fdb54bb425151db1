"""Queries of data use. The session's scope (ORG-2) is applied to every statement by
``safegrid.security.scope``; only lookups that must see across regions say so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from safegrid.customers.models import Customer
from safegrid.datause.models import (
    AccessLog,
    DataUseGrant,
    DataUseRequest,
    ExportRecord,
    RequestKind,
    RequestStatus,
)
from safegrid.org.models import OrgUnit
from safegrid.platform.paging import PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped


class DataUseRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    # Org units and customers, as the caller sees them.
    def unit(self, unit_id: int) -> OrgUnit | None:
        return self.session.scalars(select(OrgUnit).where(OrgUnit.id == unit_id)).first()

    def visible_customer_ids(self, ids: list[int]) -> set[int]:
        return set(self.session.scalars(select(Customer.id).where(Customer.id.in_(ids))))

    def customer_with_path(self, customer_id: int) -> tuple[Customer, str] | None:
        row = self.session.execute(
            select(Customer, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
            .where(Customer.id == customer_id)
        ).first()
        return (row[0], row[1]) if row else None

    def customers_with_paths(self) -> list[tuple[Customer, str, str]]:
        rows = self.session.execute(
            select(Customer, OrgUnit.path, OrgUnit.name)
            .join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
            .order_by(Customer.id)
        ).all()
        return [(c, path, name) for c, path, name in rows]

    # Requests.
    def request(self, request_id: int, *, lock: bool = False) -> DataUseRequest | None:
        stmt = select(DataUseRequest).where(DataUseRequest.id == request_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def requests(
        self,
        *,
        requester_id: int | None = None,
        statuses: list[RequestStatus] | None = None,
        limit: int = 200,
    ) -> list[DataUseRequest]:
        stmt = select(DataUseRequest)
        if requester_id is not None:
            stmt = stmt.where(DataUseRequest.requester_id == requester_id)
        if statuses is not None:
            stmt = stmt.where(DataUseRequest.status.in_(statuses))
        return list(self.session.scalars(stmt.order_by(DataUseRequest.id.desc()).limit(limit)))

    # Grants.
    def grant_of_request(self, request_id: int) -> DataUseGrant | None:
        return self.session.scalars(
            select(DataUseGrant).where(DataUseGrant.request_id == request_id)
        ).first()

    def grant_ids_of_requests(self, request_ids: list[int]) -> dict[int, int]:
        rows = self.session.execute(
            select(DataUseGrant.request_id, DataUseGrant.id).where(
                DataUseGrant.request_id.in_(request_ids)
            )
        ).all()
        return {int(r): int(g) for r, g in rows}

    def grant_anywhere(self, grant_id: int) -> DataUseGrant | None:
        # Unscoped on purpose: a grant named by id is judged (and refused as someone
        # else's) even when its grantee sits in another region; nothing of it is returned.
        return self.session.scalars(
            select(DataUseGrant).where(DataUseGrant.id == grant_id),
            execution_options=unscoped("a grant named by id is judged, then refused"),
        ).first()

    def grant(self, grant_id: int, *, lock: bool = False) -> DataUseGrant | None:
        stmt = select(DataUseGrant).where(DataUseGrant.id == grant_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def grants_of(self, account_id: int, kind: RequestKind | None = None) -> list[DataUseGrant]:
        stmt = select(DataUseGrant).where(DataUseGrant.grantee_id == account_id)
        if kind is not None:
            stmt = stmt.where(DataUseGrant.kind == kind)
        return list(
            self.session.scalars(
                stmt.order_by(DataUseGrant.valid_to.desc()),
                execution_options=unscoped("one's own grants, wherever filed"),
            )
        )

    def grants(
        self, *, active_at: datetime | None, paging: PageQuery
    ) -> tuple[list[DataUseGrant], int]:
        stmt = select(DataUseGrant)
        if active_at is not None:
            stmt = stmt.where(
                DataUseGrant.valid_from <= active_at, DataUseGrant.valid_to > active_at
            )
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = self.session.scalars(
            stmt.order_by(DataUseGrant.id.desc()).offset(paging.offset).limit(paging.size)
        )
        return list(items), total

    # Access log and exports.
    def access_logs(
        self,
        *,
        staff: str | None,
        customer_id: int | None,
        since: datetime | None,
        until: datetime | None,
        paging: PageQuery,
    ) -> tuple[list[AccessLog], int]:
        stmt = select(AccessLog)
        if staff:
            stmt = stmt.where(AccessLog.staff_name == staff)
        if customer_id is not None:
            stmt = stmt.where(AccessLog.customer_id == customer_id)
        if since is not None:
            stmt = stmt.where(AccessLog.at >= since)
        if until is not None:
            stmt = stmt.where(AccessLog.at < until)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = self.session.scalars(
            stmt.order_by(AccessLog.at.desc(), AccessLog.id.desc())
            .offset(paging.offset)
            .limit(paging.size)
        )
        return list(items), total

    def exports(self, paging: PageQuery) -> tuple[list[ExportRecord], int]:
        stmt = select(ExportRecord)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = self.session.scalars(
            stmt.order_by(ExportRecord.id.desc()).offset(paging.offset).limit(paging.size)
        )
        return list(items), total

    def export(self, export_id: int) -> ExportRecord | None:
        return self.session.scalars(
            select(ExportRecord).where(ExportRecord.id == export_id)
        ).first()
