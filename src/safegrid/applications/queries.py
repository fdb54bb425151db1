"""Reading applications: the hall's work list with filters, one application with its
documents and history, a portal customer's own applications, and a document's bytes
(checked against the SHA-256 stored with it)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from safegrid.applications.applicants import PortalCustomer, require_viewer
from safegrid.applications.kinds import KINDS
from safegrid.applications.models import (
    ApplicationDocument,
    ApplicationStatus,
    ApplicationStep,
    BusinessApplication,
)
from safegrid.applications.schemas import (
    ApplicationDetail,
    ApplicationOut,
    DocumentOut,
    StepOut,
)
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask
from safegrid.security.scope import unscoped

NOT_FOUND = "业务申请不存在 / application not found"
PAGE = 200


def overdue_clause(today: date) -> ColumnElement[bool]:
    a = BusinessApplication
    return or_(
        and_(a.status == ApplicationStatus.SUBMITTED, a.handle_by < today),
        and_(a.status == ApplicationStatus.MORE_REQUESTED, a.supply_by < today),
    )


def is_overdue(app: BusinessApplication, today: date) -> bool:
    if app.status == ApplicationStatus.SUBMITTED:
        return app.handle_by < today
    if app.status == ApplicationStatus.MORE_REQUESTED:
        return app.supply_by is not None and app.supply_by < today
    return False


def to_out(app: BusinessApplication) -> ApplicationOut:
    kind = KINDS.get(app.kind)
    return ApplicationOut(
        id=app.id,
        number=app.number,
        kind=app.kind,
        kind_label=kind.label if kind else app.kind,
        status=app.status,
        channel=app.channel,
        org_unit_id=app.org_unit_id,
        customer_id=app.customer_id,
        account_no=app.account_no,
        applicant_name=app.applicant_name,
        site_address=mask("address", app.site_address) or "",
        contact_phone=mask("phone", app.contact_phone),
        capacity_kva=app.capacity_kva,
        current_capacity_kva=app.current_capacity_kva,
        note=app.note,
        submitted_at=app.submitted_at,
        handle_by=app.handle_by,
        missing=app.missing,
        supply_by=app.supply_by,
        decided_by=app.decided_by,
        decided_at=app.decided_at,
        reject_reason=app.reject_reason,
        work_order_id=app.work_order_id,
        overdue=is_overdue(app, clock.business_day()),
    )


def _opts(customer: PortalCustomer | None) -> dict[str, Any]:
    if customer is None:
        return {}
    return unscoped("a portal customer's applications for his bound accounts, in any unit")


def _mine(customer: PortalCustomer) -> ColumnElement[bool]:
    return BusinessApplication.account_no.in_(sorted(customer.account_numbers))


@dataclasses.dataclass(frozen=True)
class Filters:
    status: ApplicationStatus | None = None
    kind: str | None = None
    overdue_only: bool = False
    # An application number or a 户号 (exact).
    q: str = ""


def list_applications(
    uow: UnitOfWork, filters: Filters = Filters(), *, customer: PortalCustomer | None = None
) -> list[ApplicationOut]:
    """Staff: the applications of their region, open ones by deadline first. A portal
    customer: his own (``customer``), newest first."""
    a = BusinessApplication
    stmt = select(a)
    today = clock.business_day()
    if filters.status is not None:
        stmt = stmt.where(a.status == filters.status)
    if filters.kind:
        stmt = stmt.where(a.kind == filters.kind)
    if filters.overdue_only:
        stmt = stmt.where(overdue_clause(today))
    if filters.q.strip():
        q = filters.q.strip()[:20]
        stmt = stmt.where(or_(a.number == q, a.account_no == q))
    with uow:
        if customer is None:
            require_viewer(uow)
            stmt = stmt.order_by(a.handle_by, a.id)
        else:
            stmt = stmt.where(_mine(customer)).order_by(a.id.desc())
        rows = uow.session.scalars(stmt.limit(PAGE), execution_options=_opts(customer)).all()
        return [to_out(app) for app in rows]


def _load(
    uow: UnitOfWork, application_id: int, customer: PortalCustomer | None
) -> BusinessApplication:
    stmt = select(BusinessApplication).where(BusinessApplication.id == application_id)
    if customer is not None:
        # Someone else's application looks like no application at all.
        stmt = stmt.where(_mine(customer))
    else:
        require_viewer(uow)
    app = uow.session.scalars(stmt, execution_options=_opts(customer)).first()
    if app is None:
        raise NotFoundError(NOT_FOUND)
    return app


def detail(
    uow: UnitOfWork, application_id: int, *, customer: PortalCustomer | None = None
) -> ApplicationDetail:
    with uow:
        app = _load(uow, application_id, customer)
        opts = _opts(customer)
        docs = uow.session.scalars(
            select(ApplicationDocument)
            .where(ApplicationDocument.application_id == app.id)
            .order_by(ApplicationDocument.id),
            execution_options=opts,
        ).all()
        steps = uow.session.scalars(
            select(ApplicationStep)
            .where(ApplicationStep.application_id == app.id)
            .order_by(ApplicationStep.id),
            execution_options=opts,
        ).all()
        return ApplicationDetail(
            **to_out(app).model_dump(),
            documents=[DocumentOut.model_validate(d) for d in docs],
            steps=[StepOut.model_validate(s) for s in steps],
        )


@dataclasses.dataclass(frozen=True)
class DocumentFile:
    filename: str
    media_type: str
    content: bytes


def document(
    uow: UnitOfWork, document_id: int, *, customer: PortalCustomer | None = None
) -> DocumentFile:
    """A document's bytes, for staff of the application's region or the customer whose
    application it is; refused if the bytes no longer match their SHA-256."""
    stmt = (
        select(ApplicationDocument)
        .join(BusinessApplication, BusinessApplication.id == ApplicationDocument.application_id)
        .where(ApplicationDocument.id == document_id)
    )
    with uow:
        if customer is not None:
            stmt = stmt.where(_mine(customer))
        else:
            require_viewer(uow)
        doc = uow.session.scalars(stmt, execution_options=_opts(customer)).first()
        if doc is None:
            raise NotFoundError("材料不存在 / document not found")
        if hashlib.sha256(doc.content).hexdigest() != doc.sha256:
            raise ConflictError(
                "材料内容与登记的 SHA-256 不符 / the document no longer matches its SHA-256"
            )
        return DocumentFile(doc.filename, doc.media_type, doc.content)


def present_documents(uow: UnitOfWork, application_id: int) -> list[tuple[str, str]]:
    """The application's documents as (doc type, SHA-256) pairs."""
    rows = uow.session.execute(
        select(ApplicationDocument.doc_type, ApplicationDocument.sha256)
        .where(ApplicationDocument.application_id == application_id)
        .order_by(ApplicationDocument.id),
        execution_options=unscoped("documents of an application the caller already holds"),
    ).all()
    return [(t, h) for t, h in rows]
