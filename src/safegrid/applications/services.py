"""业扩 application use cases (HALL-6, HALL-10: the seed's pre-acceptance flow).

submit (预受理) → the hall accepts, asks for more (what is missing, by a deadline in
working days) or rejects (with the reason); asked for more, the applicant supplies it and
the application is submitted again. Each step is one unit of work with its audit entry, its
history row and its fact in the hall event store (:mod:`safegrid.applications.steps`);
numbers come from ``platform.numbering`` (``YK`` + month + serial). A refused step is
rolled back whole and then logged (``fieldwork.refusals.logged``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from safegrid.applications import documents, notices, steps
from safegrid.applications.applicants import (
    PortalCustomer,
    account_for,
    handling_unit,
    require_staff,
)
from safegrid.applications.archive import REFUSED, facts
from safegrid.applications.kinds import Kind, kind
from safegrid.applications.models import (
    OPEN_STATUSES,
    STATUS_LABELS,
    ApplicationChannel,
    ApplicationDocument,
    ApplicationStatus,
    BusinessApplication,
)
from safegrid.applications.queries import NOT_FOUND, present_documents, to_out
from safegrid.applications.schemas import (
    ApplicationOut,
    ApplicationSubmit,
    Decision,
    Rejection,
    RequestMore,
    Supply,
)
from safegrid.applications.settings import application_settings
from safegrid.customers.models import Meter, SupplyPoint
from safegrid.fieldwork.models import WorkOrderKind
from safegrid.fieldwork.origins import APPLICATION, SourcedOrder, open_sourced_in
from safegrid.fieldwork.refusals import logged
from safegrid.fieldwork.services import NewWorkOrder
from safegrid.platform import clock, numbering
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.secops.workdays import add_working_days
from safegrid.security.scope import unscoped

# Working days between acceptance and the installation crew's planned visit.
INSTALL_AFTER_WORKING_DAYS = 3


def _deadline(days: int) -> date:
    return add_working_days(clock.business_day(), days)[0]


def _who(uow: UnitOfWork, customer: PortalCustomer | None) -> str:
    return customer.ref if customer is not None else uow.actor.username


def _capacity(k: Kind, value: Decimal, current: Decimal | None) -> None:
    if value > k.max_capacity_kva:
        raise ValidationProblem(
            f"{k.label.split(' / ')[0]}容量上限 {k.max_capacity_kva} kVA / "
            f"at most {k.max_capacity_kva} kVA for this kind",
            field="capacity_kva",
        )
    if k.increases_capacity:
        if current is None:
            raise ValidationProblem(
                "该户号没有在用容量，无法增容 / the account has no capacity to increase",
                field="capacity_kva",
            )
        if value <= current:
            raise ValidationProblem(
                f"增容后容量须大于现有 {current} kVA / the new capacity must exceed the "
                f"present {current} kVA",
                field="capacity_kva",
            )


def _store_documents(
    uow: UnitOfWork, app: BusinessApplication, checked: Sequence[documents.CheckedDocument], by: str
) -> None:
    now = clock.now()
    for d in checked:
        uow.session.add(
            ApplicationDocument(
                org_unit_id=app.org_unit_id,
                application_id=app.id,
                doc_type=d.doc_type.value,
                filename=d.filename,
                media_type=d.media_type,
                size=len(d.content),
                sha256=d.sha256,
                content=d.content,
                uploaded_by=by[:64],
                uploaded_at=now,
            )
        )


def do_submit(
    uow: UnitOfWork,
    data: ApplicationSubmit,
    uploads: Sequence[documents.Upload],
    *,
    customer: PortalCustomer | None = None,
) -> ApplicationOut:
    """File an application (预受理) with its documents. ``customer``: the portal customer
    filing for one of his bound accounts; ``None``: hall staff (``hall.serve``) filing for a
    customer of their region."""
    with logged(uow, REFUSED, "business_application", [data.account_no, data.kind]), uow:
        k = kind(data.kind)
        checked = documents.check_all(uploads)
        lacking = documents.missing_types(k.documents, [d.doc_type.value for d in checked])
        if lacking:
            raise ValidationProblem(documents.describe_missing(lacking), field="documents")
        account = account_for(uow, data.account_no, customer)
        archive = facts(uow, account, customer)
        _capacity(k, data.capacity_kva, archive.capacity_kva)
        now = clock.now()
        by = _who(uow, customer)
        channel = (
            ApplicationChannel.PORTAL
            if customer is not None
            else ApplicationChannel.HALL
            if uow.actor.channel == "web"
            else ApplicationChannel.API
        )
        app = BusinessApplication(
            number=numbering.take(uow.session, f"YK{clock.business_day(now):%Y%m}", digits=5)[0],
            org_unit_id=handling_unit(uow, account.org_unit_id),
            kind=k.code,
            status=ApplicationStatus.SUBMITTED,
            channel=channel,
            customer_id=account.customer_id,
            account_id=account.id,
            account_no=account.number,
            applicant_name=data.applicant_name or archive.customer.name,
            contact_phone=data.contact_phone or archive.customer.mobile or "",
            site_address=data.site_address or archive.address,
            capacity_kva=data.capacity_kva,
            current_capacity_kva=archive.capacity_kva,
            note=data.note,
            submitted_by=by[:64],
            submitted_at=now,
            handle_by=_deadline(application_settings().handle_working_days),
            updated_at=now,
        )
        uow.session.add(app)
        uow.session.flush()
        _store_documents(uow, app, checked, by)
        steps.record(
            uow,
            app,
            steps.SUBMITTED,
            actor=by,
            note=data.note,
            deadline=app.handle_by,
            audit_after={"documents": [d.sha256 for d in checked]},
        )
        out = to_out(app)
        uow.commit()
        return out


def _locked(
    uow: UnitOfWork, application_id: int, customer: PortalCustomer | None = None
) -> BusinessApplication:
    stmt = (
        select(BusinessApplication)
        .where(BusinessApplication.id == application_id)
        .with_for_update()
    )
    opts: dict[str, object] = {}
    if customer is not None:
        opts = unscoped("a portal customer's own application, in any unit")
    app = uow.session.scalars(stmt, execution_options=opts).first()
    if app is None:
        raise NotFoundError(NOT_FOUND)
    if customer is not None and app.account_no not in customer.account_numbers:
        raise NotFoundError(NOT_FOUND)
    return app


def _require(app: BusinessApplication, *allowed: ApplicationStatus) -> None:
    if app.status not in allowed:
        zh, en = STATUS_LABELS[app.status]
        raise ConflictError(
            f"申请 {app.number} 当前为“{zh}”，不能办理此步骤 / application {app.number} is "
            f"“{en.lower()}”; this step is not possible now",
            field="status",
        )


def do_accept(uow: UnitOfWork, application_id: int, data: Decision) -> ApplicationOut:
    """受理: the hall takes the application on; a new connection whose account has a meter
    site gets its installation work order (fieldwork ``install``) in the same transaction."""
    with logged(uow, REFUSED, "business_application", [application_id, "accept"]), uow:
        require_staff(uow)
        app = _locked(uow, application_id)
        _require(app, ApplicationStatus.SUBMITTED)
        now = clock.now()
        app.status = ApplicationStatus.ACCEPTED
        app.decided_by = uow.actor.username
        app.decided_at = app.updated_at = now
        if kind(app.kind).opens_installation:
            meter_id = uow.session.scalar(
                select(Meter.id)
                .join(SupplyPoint, SupplyPoint.id == Meter.supply_point_id)
                .where(SupplyPoint.account_id == app.account_id)
                .order_by(Meter.id)
                .limit(1)
            )
            if meter_id is not None:
                # Through the field work origins: the order names its application, and an
                # acceptance replayed cannot open a second one (unique origin key).
                app.work_order_id = open_sourced_in(
                    uow,
                    [
                        SourcedOrder(
                            APPLICATION,
                            app.number,
                            meter_id,
                            NewWorkOrder(
                                kind=WorkOrderKind.INSTALL,
                                meter_id=meter_id,
                                planned_on=_deadline(INSTALL_AFTER_WORKING_DAYS),
                            ),
                        )
                    ],
                )[0]
        uow.session.flush()
        steps.record(uow, app, steps.ACCEPTED, actor=uow.actor.username, note=data.note)
        notices.tell_applicant(uow, app)
        out = to_out(app)
        uow.commit()
        return out


def do_request_more(uow: UnitOfWork, application_id: int, data: RequestMore) -> ApplicationOut:
    """补充资料: tell the applicant what is missing and by when (working days)."""
    with logged(uow, REFUSED, "business_application", [application_id, "request_more"]), uow:
        require_staff(uow)
        app = _locked(uow, application_id)
        _require(app, ApplicationStatus.SUBMITTED)
        days = data.working_days or application_settings().supply_working_days
        app.status = ApplicationStatus.MORE_REQUESTED
        app.missing = data.missing
        app.supply_by = _deadline(days)
        app.updated_at = clock.now()
        steps.record(
            uow,
            app,
            steps.MORE_REQUESTED,
            actor=uow.actor.username,
            note=data.missing,
            deadline=app.supply_by,
        )
        notices.tell_applicant(uow, app)
        out = to_out(app)
        uow.commit()
        return out


def do_supply(
    uow: UnitOfWork,
    application_id: int,
    data: Supply,
    uploads: Sequence[documents.Upload],
    *,
    customer: PortalCustomer | None = None,
) -> ApplicationOut:
    """The applicant supplies what was asked for (documents and/or a note); the application
    goes back to the hall with a new deadline."""
    with logged(uow, REFUSED, "business_application", [application_id, "supply"]), uow:
        checked = documents.check_all(uploads)
        if not checked and not data.note:
            raise ValidationProblem(
                "请上传补充材料或填写说明 / upload the missing documents or add a note",
                field="documents",
            )
        if customer is None:
            require_staff(uow)
        app = _locked(uow, application_id, customer)
        _require(app, ApplicationStatus.MORE_REQUESTED)
        held = present_documents(uow, app.id)
        again = [d.filename for d in checked if d.sha256 in {h for _, h in held}]
        if again:
            raise ConflictError(
                f"文件 {again[0]} 已在此申请中 / the file {again[0]} is already part of the "
                "application",
                field="documents",
            )
        by = _who(uow, customer)
        _store_documents(uow, app, checked, by)
        app.status = ApplicationStatus.SUBMITTED
        app.supply_by = None
        app.handle_by = _deadline(application_settings().handle_working_days)
        app.updated_at = clock.now()
        steps.record(
            uow,
            app,
            steps.SUPPLIED,
            actor=by,
            note=data.note,
            deadline=app.handle_by,
            audit_after={
                "documents": [d.sha256 for d in checked],
                "new_types": sorted({d.doc_type.value for d in checked} - {t for t, _ in held}),
            },
        )
        out = to_out(app)
        uow.commit()
        return out


def do_reject(uow: UnitOfWork, application_id: int, data: Rejection) -> ApplicationOut:
    """不予受理, with the reason the applicant will read."""
    with logged(uow, REFUSED, "business_application", [application_id, "reject"]), uow:
        require_staff(uow)
        app = _locked(uow, application_id)
        _require(app, *OPEN_STATUSES)
        now = clock.now()
        app.status = ApplicationStatus.REJECTED
        app.reject_reason = data.reason
        app.decided_by = uow.actor.username
        app.decided_at = app.updated_at = now
        steps.record(uow, app, steps.REJECTED, actor=uow.actor.username, note=data.reason)
        notices.tell_applicant(uow, app)
        out = to_out(app)
        uow.commit()
        return out
