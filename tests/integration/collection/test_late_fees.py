"""BILL-6: late fees per day at the configured rate from the day after the due date, rounded
once to the fen half-up; the daily job is idempotent; reminders once per stage."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.collection import balances as bal
from safegrid.collection.jobs import daily_arrears_job
from safegrid.collection.late_fees import do_accrue_late_fees, do_set_late_fee_rate
from safegrid.collection.models import LateFeeAccrual, Reminder
from safegrid.collection.reminders import do_send_reminders
from safegrid.collection.writeoffs import do_write_off
from safegrid.notifications.models import Notification
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.world import World

D = Decimal
pytestmark = pytest.mark.usefixtures("fixed_clock")


def fee(world: World, bill_id: int) -> Decimal:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return bal.yuan(bal.balances(uow.session, [bill_id])[bill_id].fee_total_fen)


def accrue(world: World, first: date, last: date) -> int:
    rows, day = 0, first
    while day <= last:
        rows += do_accrue_late_fees(world.platform.uow(world.system()), day).rows
        day += timedelta(days=1)
    return rows


def test_bill_6_late_fee_from_the_day_after_due_rounded_once_half_up(
    world: World, bills: Bills
) -> None:
    resident = bills.bill(bills.account(), "105.00", due=date(2026, 10, 27))
    shop = bills.bill(bills.account(category="commercial"), "123.45", due=date(2026, 10, 30))
    # The due date itself accrues nothing.
    assert do_accrue_late_fees(world.platform.uow(world.system()), date(2026, 10, 27)).rows == 0
    accrue(world, date(2026, 10, 28), date(2026, 11, 1))
    # 105.00 × 0.1 % × 5 days = 0.525 → 0.53 (half-up; banker's rounding would give 0.52).
    assert fee(world, resident) == D("0.53")
    # 123.45 × 0.2 % × 2 days = 0.4938 → 0.49.
    assert fee(world, shop) == D("0.49")


def test_bill_6_daily_job_is_idempotent_per_day(world: World, bills: Bills) -> None:
    bill = bills.bill(bills.account(), "100.00", due=date(2026, 10, 27))
    day = date(2026, 10, 30)
    assert do_accrue_late_fees(world.platform.uow(world.system()), day).rows == 1
    assert do_accrue_late_fees(world.platform.uow(world.system()), day).rows == 0
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LateFeeAccrual)) == 1
    assert fee(world, bill) == D("0.10")
    with pytest.raises(ValidationProblem) as err:
        do_accrue_late_fees(world.platform.uow(world.system()), date(2026, 11, 3))
    assert err.value.field == "day"


def test_bill_6_late_fee_follows_the_principal_unpaid_at_the_start_of_each_day(
    world: World, bills: Bills, fixed_clock: clock.FixedClock
) -> None:
    bill = bills.bill(bills.account(), "1000.00", due=date(2026, 10, 27))
    accrue(world, date(2026, 10, 28), date(2026, 10, 29))  # 2 × 1.00
    fixed_clock.advance(timedelta(days=-4))  # 2026-10-29 10:00: a payment arrives
    do_write_off(world.platform.uow(world.system()), bill, D("800.00"), "PAY-MID")
    fixed_clock.advance(timedelta(days=4))
    accrue(world, date(2026, 10, 30), date(2026, 10, 31))  # 2 × 0.20
    assert fee(world, bill) == D("2.40")
    # Paying the rest: principal first, then the late fee.
    result = do_write_off(world.platform.uow(world.system()), bill, D("300.00"), "PAY-REST")
    assert (result.applied, result.remainder) == (D("202.40"), D("97.60"))


def test_bill_6_rates_are_configuration_by_category_and_date(world: World, bills: Bills) -> None:
    bill = bills.bill(bills.account(), "200.00", due=date(2026, 10, 27))
    do_set_late_fee_rate(
        world.platform.uow(world.system()), "residential", D("0.0005"), date(2026, 10, 30)
    )
    accrue(world, date(2026, 10, 29), date(2026, 10, 30))  # 0.20 at 0.1 %, then 0.10 at 0.05 %
    assert fee(world, bill) == D("0.30")
    with pytest.raises(ValidationProblem) as err:
        do_set_late_fee_rate(
            world.platform.uow(world.system()), "residential", D("0.0000001"), date(2026, 11, 1)
        )
    assert err.value.field == "rate_per_day"


def test_bill_6_reminders_once_per_stage_through_the_outbox(
    world: World, bills: Bills, fixed_clock: clock.FixedClock
) -> None:
    bill = bills.bill(bills.account(), "88.00", due=date(2026, 10, 27))  # 6 days overdue
    bills.bill(bills.account(), "10.00", due=date(2026, 11, 20))  # not due yet
    assert do_send_reminders(world.platform.uow(world.system())).rows == 1
    assert do_send_reminders(world.platform.uow(world.system())).rows == 0
    fixed_clock.advance(timedelta(days=1))  # 7 days overdue: the second stage
    fees, reminders = daily_arrears_job()
    assert (fees.rows, reminders.rows) == (1, 1)
    with world.platform.uow(world.system(), readonly=True) as uow:
        stages = uow.session.scalars(select(Reminder.stage).where(Reminder.bill_id == bill)).all()
        bodies = uow.session.scalars(select(Notification.body).order_by(Notification.id)).all()
    assert sorted(stages) == [1, 7]
    assert "逾期6天" in bodies[0] and "逾期7天" in bodies[1]
    finance = world.staff(Post.FINANCE, "countyA")
    client = TestClient(app_for(world.platform))
    resp = client.get(
        "/api/notifications", headers={"Authorization": f"Bearer {world.token(finance)}"}
    )
    assert resp.status_code == 200
    recipients = {n["recipient"] for n in resp.json()["items"]}
    assert all("****" in r for r in recipients), recipients  # masked (DATA-3)
