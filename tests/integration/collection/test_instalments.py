"""BILL-5: instalment settlement (分次结算) for large customers — instalments sum exactly to
the bill, payments cover them in order, overdue instalments put the bill in arrears."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from safegrid.collection.instalments import do_create_plan, get_plan
from safegrid.collection.late_fees import do_accrue_late_fees
from safegrid.collection.reports import get_bill_collection, list_arrears
from safegrid.collection.schemas import PlanCreate
from safegrid.collection.writeoffs import do_write_off
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.paging import PageQuery
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_bill_5_plan_splits_exactly_and_payments_cover_instalments_in_order(
    world: World, bills: Bills, fixed_clock: clock.FixedClock
) -> None:
    bill = bills.bill(bills.account(key=True), "1000.00", due=date(2026, 10, 25))
    plan_id = do_create_plan(
        world.platform.uow(world.system()),
        PlanCreate(bill_ids=[bill], count=3, first_due_date=date(2026, 11, 5)),
    )
    plan = get_plan(world.platform.uow(world.system(), readonly=True), plan_id)
    assert [i.amount for i in plan.instalments] == [D("333.33"), D("333.33"), D("333.34")]
    assert sum(i.amount for i in plan.instalments) == D("1000.00")
    assert [i.due_date for i in plan.instalments] == [
        date(2026, 11, 5),
        date(2026, 12, 5),
        date(2027, 1, 4),
    ]
    # The bill's own due date has passed, but under the plan nothing is overdue yet.
    page = PageQuery(page=1, size=20)
    assert list_arrears(world.platform.uow(world.system(), readonly=True), page).total == 0
    do_write_off(world.platform.uow(world.system()), bill, D("400.00"), "INST-1")
    plan = get_plan(world.platform.uow(world.system(), readonly=True), plan_id)
    assert [(i.paid, i.state) for i in plan.instalments] == [
        (D("333.33"), "paid"),
        (D("66.67"), "partly_paid"),
        (D("0.00"), "due"),
    ]
    fixed_clock.advance(timedelta(days=34))  # 2026-12-06: the second instalment is overdue
    arrears = list_arrears(world.platform.uow(world.system(), readonly=True), page)
    [row] = arrears.items
    assert (row.bill_id, row.in_plan, row.overdue, row.days_overdue) == (
        bill,
        True,
        D("266.66"),
        1,
    )
    # Late fees accrue on the overdue instalment only: 266.66 × 0.1 % = 0.26666 → 0.27.
    do_accrue_late_fees(world.platform.uow(world.system()), date(2026, 12, 6))
    panel = get_bill_collection(world.platform.uow(world.system(), readonly=True), bill)
    assert panel.late_fee == D("0.27")
    assert panel.plan is not None and panel.plan.instalments[1].state == "overdue"


def test_bill_5_instalments_are_for_key_or_large_customers(world: World, bills: Bills) -> None:
    small = bills.bill(bills.account(), "120.00")
    with pytest.raises(ValidationProblem) as err:
        do_create_plan(
            world.platform.uow(world.system()),
            PlanCreate(bill_ids=[small], count=2, first_due_date=date(2026, 11, 10)),
        )
    assert err.value.field == "bill_ids"
    large = bills.bill(bills.account(), "15000.00")
    data = PlanCreate(bill_ids=[large], count=2, first_due_date=date(2026, 11, 10))
    do_create_plan(world.platform.uow(world.system()), data)
    with pytest.raises(ConflictError):
        do_create_plan(world.platform.uow(world.system()), data)
    with pytest.raises(ValidationProblem) as past:
        do_create_plan(
            world.platform.uow(world.system()),
            PlanCreate(bill_ids=[small], count=2, first_due_date=date(2026, 11, 1)),
        )
    assert past.value.field == "first_due_date"
