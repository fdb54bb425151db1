"""Work orders other workflows open (issue 16 scope 1): the arrears workflow's notice
decision opens disconnection orders, payment cancels them and opens reconnections (BILL-6),
a notice paid before the subscriber heard of it still stops the cut at dispatch; an
accepted 业扩 application opens installation orders at a site with no meter yet. Each
origin opens its orders once, however often it is delivered."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from safegrid.collection import field_orders as arrears_orders
from safegrid.collection.notices import do_create_notice, do_decide_notice, do_execute_notice
from safegrid.collection.schemas import NoticeCreate, NoticeDecision
from safegrid.collection.writeoffs import do_write_off_oldest_first
from safegrid.fieldwork import lifecycle, services
from safegrid.fieldwork.models import WorkOrder, WorkOrderKind, WorkOrderStatus
from safegrid.fieldwork.origins import InstallationRequest, do_open_installations
from safegrid.fieldwork.queries import my_orders
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.relay.relay import drain
from safegrid.security.policy import Post
from safegrid.web.fieldwork.todo import orders_to_plan
from safegrid.web.todo import Tally
from tests.fixtures.bills import Bills
from tests.fixtures.field import SITE, Crew

S = WorkOrderStatus


def _orders(crew: Crew, kind: WorkOrderKind) -> list[WorkOrder]:
    with crew.world.platform.uow(crew.world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(WorkOrder).where(WorkOrder.kind == kind).order_by(WorkOrder.id)
            )
        )


def _approved_notice(crew: Crew, bills: Bills) -> tuple[int, int]:
    w = crew.world
    account = bills.account("stationA")
    bills.bill(account, "300.00", due=clock.business_day() - timedelta(days=30))
    finance = w.actor(w.staff(Post.FINANCE, "countyA"))
    head = w.actor(w.staff(Post.DEPARTMENT_HEAD, "countyA"))
    notice = do_create_notice(
        w.platform.uow(finance), NoticeCreate(account_id=account, reason="欠费")
    )
    do_decide_notice(w.platform.uow(head), notice.id, NoticeDecision(approve=True))
    return account, notice.id


def test_bill_6_notice_opens_a_disconnection_payment_cancels_it_and_opens_a_reconnection(
    crew: Crew, bills: Bills, fixed_now: clock.FixedClock
) -> None:
    w = crew.world
    account, notice_id = _approved_notice(crew, bills)
    assert _orders(crew, WorkOrderKind.DISCONNECT) == []  # nothing inside the collection service
    drain(w.platform, budget_seconds=5)
    [cut] = _orders(crew, WorkOrderKind.DISCONNECT)
    assert cut.status == S.OPEN
    assert cut.planned_on == clock.business_day() + timedelta(days=7)  # the notice period
    # Delivered again (at least once): the same order, not a second one.
    again = arrears_orders.do_open_disconnections(w.platform.uow(arrears_orders.ACTOR), [notice_id])
    assert again == [cut.id] and len(_orders(crew, WorkOrderKind.DISCONNECT)) == 1

    # It waits on the team leader's to-do list for a crew (not yet due).
    assert orders_to_plan(crew.uow(crew.leader)) == Tally(1, 0)
    services.do_assign(crew.uow(crew.leader), cut.id, crew.operator.id)
    assert orders_to_plan(crew.uow(crew.leader)) == Tally(0, 0)
    fixed_now.advance(timedelta(days=7))
    do_execute_notice(w.platform.uow(w.system()), notice_id)  # cut in the console meanwhile
    do_write_off_oldest_first(w.platform.uow(w.system()), account, Decimal("400.00"), "PAY-1")
    drain(w.platform, budget_seconds=5)

    [cut] = _orders(crew, WorkOrderKind.DISCONNECT)
    assert cut.status == S.CANCELLED and "arrears paid" in (cut.stop_reason or "")
    [reconnect] = _orders(crew, WorkOrderKind.RECONNECT)
    assert reconnect.meter_id == cut.meter_id and reconnect.status == S.OPEN
    assert reconnect.window_end - reconnect.window_start == timedelta(hours=24)


def test_bill_6_a_notice_paid_before_the_relay_ran_stops_the_cut_at_dispatch(
    crew: Crew, bills: Bills
) -> None:
    w = crew.world
    account, notice_id = _approved_notice(crew, bills)
    drain(w.platform, budget_seconds=5)
    [cut] = _orders(crew, WorkOrderKind.DISCONNECT)
    services.do_assign(crew.uow(crew.leader), cut.id, crew.operator.id)
    do_write_off_oldest_first(w.platform.uow(w.system()), account, Decimal("300.00"), "PAY-2")
    # The cancellation event is still in the outbox: the gate reads the notice itself.
    with pytest.raises(ValidationProblem) as refused:
        lifecycle.do_dispatch(crew.uow(crew.leader), [cut.id])
    assert f"disconnection notice #{notice_id} is cancelled" in refused.value.message
    assert _orders(crew, WorkOrderKind.DISCONNECT)[0].status == S.ASSIGNED


def test_installation_orders_for_an_accepted_application_at_a_site_without_a_meter(
    crew: Crew,
) -> None:
    w = crew.world
    lat, lon = SITE
    request = InstallationRequest(
        "YK202611230001",
        w.units["stationA"],
        lat,
        lon,
        clock.business_day() + timedelta(days=2),
        assignee_id=crew.operator.id,
    )
    [first] = do_open_installations(crew.uow(crew.leader), [request])
    assert do_open_installations(crew.uow(crew.leader), [request]) == [first]  # once
    [order] = _orders(crew, WorkOrderKind.INSTALL)
    assert (order.meter_id, order.status, order.site_lat) == (None, S.ASSIGNED, lat)
    lifecycle.do_dispatch(crew.uow(crew.leader), [first])  # the field app shows it
    listed = [o for o in my_orders(crew.uow(crew.operator)) if o.id == first]
    assert listed and listed[0].meter_asset_no is None
    assert first in [r.id for r in services.list_work_orders(crew.uow(crew.leader))]

    # Another county's unit is out of the leader's scope; a meterless repair is refused.
    with pytest.raises(NotFoundError):
        do_open_installations(
            crew.uow(crew.leader),
            [InstallationRequest("YK-OTHER", w.units["countyB"], lat, lon, clock.business_day())],
        )
    with pytest.raises(ValidationProblem) as no_meter:
        services.do_open_work_order(
            crew.uow(crew.leader),
            services.NewWorkOrder(
                WorkOrderKind.INSPECT, None, clock.business_day(), org_unit_id=w.units["stationA"]
            ),
        )
    assert no_meter.value.field == "meter_id"
    assert len(_orders(crew, WorkOrderKind.INSTALL)) == 1  # nothing half-written


def test_one_installation_per_application_under_concurrent_callers(crew: Crew) -> None:
    """The origin key is the database's guarantee, not a look before the insert: two
    callers at once (PostgreSQL in CI) get one order; the loser fails or finds it."""
    from tests.integration.fieldwork.test_sync_concurrency import _race

    w = crew.world
    request = InstallationRequest(
        "YK-RACE-1", w.units["stationA"], *SITE, clock.business_day() + timedelta(days=1)
    )
    outcomes = _race(lambda: do_open_installations(crew.uow(crew.leader), [request]))
    ids = {tuple(o) for o in outcomes if isinstance(o, list)}
    assert len(ids) == 1, outcomes
    assert [o.id for o in _orders(crew, WorkOrderKind.INSTALL)] == list(next(iter(ids)))


def test_iam_7_a_contractor_sees_his_installation_site_only_while_in_service(
    crew: Crew, fixed_now: clock.FixedClock
) -> None:
    w = crew.world
    contractor = w.staff(Post.CONTRACTOR, "stationA")
    admin = w.staff(Post.SYSTEM_ADMIN, "countyA")
    services.do_set_service_end(
        w.platform.uow(w.actor(admin)), contractor.id, clock.business_day() + timedelta(days=3)
    )
    request = InstallationRequest(
        "YK-IAM7", w.units["stationA"], *SITE, clock.business_day() + timedelta(days=1),
        assignee_id=contractor.id,
    )  # fmt: skip
    [order] = do_open_installations(crew.uow(crew.leader), [request])
    seen = services.list_work_orders(w.platform.uow(w.actor(contractor)))
    assert [r.id for r in seen] == [order]
    fixed_now.advance(timedelta(days=4))  # past the service end date
    assert services.list_work_orders(w.platform.uow(w.actor(contractor))) == []
