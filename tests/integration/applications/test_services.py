"""HALL-6 / HALL-10: the 业扩 pre-acceptance flow as services — smart form filling, the
portal customer's submission with content-checked documents, the hall's accept / ask for
more / reject with working-day deadlines, each step audited, numbered and appended to the
hall event store; and every refusal changing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safegrid.applications import archive, queries, services
from safegrid.applications.applicants import PortalCustomer
from safegrid.applications.models import (
    ApplicationDocument,
    ApplicationStatus,
    BusinessApplication,
)
from safegrid.applications.schemas import (
    ApplicationSubmit,
    Decision,
    Rejection,
    RequestMore,
    Supply,
)
from safegrid.fieldwork.models import WorkOrder, WorkOrderKind
from safegrid.hall.models import HallEvent
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.security.models import AuditEntry
from safegrid.web.applications.todo import (
    applications_awaiting_documents,
    applications_to_handle,
)
from tests.integration.applications.support import (
    JPEG,
    PDF,
    PNG,
    Applying,
    deed,
    identity,
    loads,
)


def _count(a: Applying, entity: object, *where: object) -> int:
    with a.world.platform.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(entity).where(*where)))  # type: ignore[arg-type]


def test_hall_6_prefill_from_the_archive_masked(applying: Applying) -> None:
    a = applying
    form = archive.prefill(
        a.world.platform.uow(a.portal(), readonly=True), a.account_no, customer=a.customer
    )
    assert form.account_no == a.account_no and form.applicant_name.startswith("客户")
    assert form.current_capacity_kva == Decimal("8.00") and form.meters[0].startswith("ZJTEST")
    assert "*" in form.site_address and form.contact_phone and "*" in form.contact_phone
    assert form.required_documents["lv_new"] == ["identity", "property"]
    # The hall agent of the region fills the same form for the customer at the counter.
    staff_form = archive.prefill(a.world.platform.uow(a.agent, readonly=True), a.account_no)
    assert staff_form == form
    with pytest.raises(PermissionDeniedError):  # not his account: refused and logged
        archive.prefill(a.world.platform.uow(a.portal()), a.other_account_no, customer=a.customer)
    assert _count(a, AuditEntry, AuditEntry.action == "application.refused") == 1
    with pytest.raises(NotFoundError):  # a customer outside the agent's region (ORG-2)
        archive.prefill(a.world.platform.uow(a.outsider, readonly=True), a.account_no)


def test_hall_6_submit_request_more_supply_accept_opens_installation(applying: Applying) -> None:
    a = applying
    out = a.submit()
    assert out.number.startswith(f"YK{clock.business_day():%Y%m}") and len(out.number) == 13
    assert out.status == ApplicationStatus.SUBMITTED and out.channel.value == "portal"
    assert out.org_unit_id == a.world.units["hallA"]  # the hall of the customer's county
    assert out.handle_by > clock.business_day() and not out.overdue
    assert "*" in out.site_address  # the archive's address, copied and shown masked

    asked = services.do_request_more(
        a.world.platform.uow(a.agent),
        out.id,
        RequestMore(missing="房产证复印件不清晰 / the deed copy is unreadable", working_days=3),
    )
    assert asked.status == ApplicationStatus.MORE_REQUESTED and asked.supply_by is not None
    waiting = applications_awaiting_documents(a.world.platform.uow(a.agent, readonly=True))
    assert (waiting.count, waiting.overdue) == (1, 0)
    with pytest.raises(ConflictError):  # the hall cannot accept what it asked more for
        services.do_accept(a.world.platform.uow(a.agent), out.id, Decision())

    supplied = services.do_supply(
        a.world.platform.uow(a.portal()),
        out.id,
        Supply(note="已重新扫描"),
        [deed(PNG, "房产证-清晰.png")],
        customer=a.customer,
    )
    assert supplied.status == ApplicationStatus.SUBMITTED and supplied.supply_by is None

    accepted = services.do_accept(a.world.platform.uow(a.agent), out.id, Decision(note="资料齐全"))
    assert accepted.status == ApplicationStatus.ACCEPTED and accepted.work_order_id is not None
    assert _count(a, WorkOrder, WorkOrder.kind == WorkOrderKind.INSTALL) == 1

    detail = queries.detail(
        a.world.platform.uow(a.portal(), readonly=True), out.id, customer=a.customer
    )
    assert [s.step for s in detail.steps] == ["submitted", "more_requested", "supplied", "accepted"]
    assert [d.media_type for d in detail.documents] == [
        "image/jpeg",
        "application/pdf",
        "image/png",
    ]
    doc = queries.document(a.world.platform.uow(a.agent, readonly=True), detail.documents[1].id)
    assert doc.content == PDF and doc.media_type == "application/pdf"
    # Traceable per customer in the hall event store, in order (HALL-8).
    with a.world.platform.engine.connect() as c:
        kinds = c.scalars(
            select(HallEvent.kind)
            .where(HallEvent.kind.like("application_%"))
            .order_by(HallEvent.id)
        ).all()
        actions = set(c.scalars(select(AuditEntry.action)).all())
    assert kinds == [
        "application_submitted",
        "application_more_requested",
        "application_supplied",
        "application_accepted",
    ]
    assert {"application.submitted", "application.accepted", "workorder.opened"} <= actions
    # The applicant was told by SMS what was missing, and that it was accepted.
    with a.world.platform.engine.connect() as c:
        sms = c.scalars(
            select(Notification.body)
            .where(Notification.topic == "application.decision")
            .order_by(Notification.id)
        ).all()
    assert len(sms) == 2 and "房产证复印件不清晰" in sms[0] and "已受理" in sms[1]
    mine = queries.list_applications(
        a.world.platform.uow(a.portal(), readonly=True), customer=a.customer
    )
    assert [m.number for m in mine] == [out.number]
    with pytest.raises(ConflictError):  # decided once
        services.do_reject(a.world.platform.uow(a.agent), out.id, Rejection(reason="重复"))


def test_hall_6_reject_and_deadline_overdue_in_working_days(applying: Applying) -> None:
    a = applying
    clock.set_clock(clock.FixedClock(datetime(2026, 9, 30, 2, tzinfo=UTC)))  # before 国庆
    out = a.submit(kind="capacity_increase", capacity="16", uploads=[identity(), loads()])
    # 10-01..10-07 are off (国庆); 10-08 and 10-09 are the two working days.
    assert out.handle_by == date(2026, 10, 9)
    later = clock.FixedClock(datetime(2026, 10, 12, 2, tzinfo=UTC))
    clock.set_clock(later)
    # The hall's own agent works the application though the customer's station is outside
    # his unit: the application belongs to the hall.
    [row] = queries.list_applications(a.world.platform.uow(a.desk, readonly=True))
    assert row.overdue and row.account_no == a.account_no
    assert applications_to_handle(a.world.platform.uow(a.agent, readonly=True)).overdue == 1
    assert applications_to_handle(a.world.platform.uow(a.outsider, readonly=True)).count == 0
    rejected = services.do_reject(
        a.world.platform.uow(a.desk), out.id, Rejection(reason="现场不具备供电条件")
    )
    assert rejected.status == ApplicationStatus.REJECTED and not rejected.overdue
    assert rejected.reject_reason == "现场不具备供电条件"


def test_hall_6_refusals_change_nothing_and_are_logged(applying: Applying) -> None:
    a = applying
    uow = a.world.platform.uow
    cases = [
        # someone else's 户号 (not bound to this portal customer)
        (
            PermissionDeniedError,
            "account_no",
            lambda: services.do_submit(
                uow(a.portal()),
                ApplicationSubmit(
                    account_no=a.other_account_no, kind="lv_new", capacity_kva=Decimal(5)
                ),
                [identity(), deed()],
                customer=a.customer,
            ),
        ),
        # a PNG that calls itself a PDF
        (ValidationProblem, "房产证.pdf", lambda: a.submit(uploads=[identity(), deed(PNG)])),
        # not a PDF, JPEG or PNG at all
        (
            ValidationProblem,
            "notes.pdf",
            lambda: a.submit(uploads=[identity(), deed(b"MZ\x90\x00 not a pdf", "notes.pdf")]),
        ),
        # a required document missing
        (ValidationProblem, "property", lambda: a.submit(uploads=[identity()])),
        # a capacity increase that does not increase
        (
            ValidationProblem,
            "8.00",
            lambda: a.submit("capacity_increase", "8", [identity(), loads()]),
        ),
        # over the low-voltage ceiling
        (ValidationProblem, "160", lambda: a.submit(capacity="500")),
        # a hall agent of another county, for a customer outside his region
        (
            NotFoundError,
            "",
            lambda: services.do_submit(
                uow(a.outsider),
                ApplicationSubmit(account_no=a.account_no, kind="lv_new", capacity_kva=Decimal(5)),
                [identity(), deed()],
            ),
        ),
    ]
    for error, named, call in cases:
        with pytest.raises(error) as caught:
            call()
        assert named in caught.value.message or named == caught.value.field, caught.value.message
    assert _count(a, BusinessApplication) == 0 and _count(a, ApplicationDocument) == 0
    assert _count(a, HallEvent) == 0
    # Each refusal but the out-of-region one (a 404 says nothing) is in the audit log,
    # and so is the form asked for someone else's account (first test).
    assert _count(a, AuditEntry, AuditEntry.action == "application.refused") == len(cases) - 1

    out = a.submit()
    with pytest.raises(PermissionDeniedError):  # the portal customer cannot decide
        services.do_accept(uow(a.portal()), out.id, Decision())
    with pytest.raises(NotFoundError):  # nor see another customer's application
        queries.detail(
            uow(a.portal(), readonly=True),
            out.id,
            customer=PortalCustomer.of("p:2", [a.other_account_no]),
        )
    with pytest.raises(ConflictError):  # nothing was asked for
        services.do_supply(uow(a.portal()), out.id, Supply(note="再补"), [], customer=a.customer)
    services.do_request_more(uow(a.agent), out.id, RequestMore(missing="身份证背面"))
    with pytest.raises(ConflictError):  # the same file again
        services.do_supply(
            uow(a.portal()), out.id, Supply(), [identity(JPEG, "again.jpg")], customer=a.customer
        )
    with pytest.raises(NotFoundError):  # out of region for the other county's agent
        services.do_reject(uow(a.outsider), out.id, Rejection(reason="越权"))
    assert _count(a, ApplicationDocument) == 2
