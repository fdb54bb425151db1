"""Issue 13: the demo leaves today's work on the to-do lists — receipts waiting for each
county's checker, a data-use request waiting for each county's head, today's arrears run,
a cash shortage waiting for the cashier, a walking order on a reading book, abnormal
readings waiting for review, a usage correction waiting for finance once a month is
closed — through the real services, and running it again adds
nothing the same day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.datause.models import DataUseRequest
from safegrid.demo import workday
from safegrid.demo.generator import generate
from safegrid.payments.counter.models import CounterReceipt, ReceiptStatus
from safegrid.payments.counter.shortages import CashDiscrepancy
from safegrid.platform import clock
from safegrid.readings.correction_models import UsageCorrectionRequest
from safegrid.readings.periods import do_close_period
from safegrid.readings.route_models import ReadingReview, ReviewStatus, RouteStop
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username
from safegrid.security.work import Work
from safegrid.web import routes as _routes  # noqa: F401 - registers the to-do providers
from safegrid.web import todo
from tests.fixtures.scratch_sqlite import SchemaCopy


@pytest.fixture
def demo(tmp_path: Path, migrated_schema: SchemaCopy) -> Iterator[Platform]:
    platform = Platform(
        Settings(
            env="test",
            database_url=f"sqlite:///{tmp_path / 'w.db'}",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            secret_key="test-secret-key-for-demo-workday-tests",
        )
    )
    migrated_schema(platform)
    set_platform(platform)
    generate(platform, seed=5, customers=40, days=2)
    try:
        yield platform
    finally:
        set_platform(None)
        platform.dispose()


def _count(platform: Platform, stmt: object) -> int:
    with platform.engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)  # type: ignore[call-overload]


def test_demo_leaves_receipts_and_requests_waiting_and_is_idempotent(demo: Platform) -> None:
    first = workday.leave_work(demo)
    assert first.receipts == 8 and first.requests == 4  # 4 counties
    assert (first.shortages, first.walking_orders, first.reviews) == (4, 4, 8)
    assert first.corrections == 0  # no month is closed yet: nothing to correct
    second = workday.leave_work(demo)
    assert second.requests == 0
    assert (second.shortages, second.walking_orders, second.reviews) == (0, 0, 0)
    assert _count(demo, select(func.count()).select_from(CashDiscrepancy)) == 4
    assert _count(demo, select(func.count(func.distinct(RouteStop.reading_area_id)))) == 4
    pending = select(func.count()).select_from(ReadingReview)
    assert _count(demo, pending.where(ReadingReview.status == ReviewStatus.PENDING)) == 8
    waiting = (
        select(func.count())
        .select_from(CounterReceipt)
        .where(CounterReceipt.status == ReceiptStatus.RECORDED)
    )
    assert _count(demo, waiting) == 8
    assert _count(demo, select(func.count()).select_from(DataUseRequest)) == 4
    checker = Work(actor_from_username(demo, "checker.zj-hz-fy"))
    items = {i.provider.key: i.tally.count for i in todo.my_work(checker)}
    assert items["counter.receipts_to_check"] == 2
    cashier = Work(actor_from_username(demo, "cashier.zj-hz-fy"))
    mine = {i.provider.key: i.tally.count for i in todo.my_work(cashier)}
    assert mine["counter.differences_to_acknowledge"] == 1
    leader = Work(actor_from_username(demo, "team_leader.zj-hz-fy-st"))
    assert {i.provider.key: i.tally.count for i in todo.my_work(leader)}["readings.to_review"] == 2
    head = Work(actor_from_username(demo, "department_head.zj-hz-fy"))
    assert {i.provider.key: i.tally.count for i in todo.my_work(head)}[
        "datause.head_approvals"
    ] == 1

    # Once a month is closed (as `demo history` does), each county's reader proposes one
    # correction for finance; a rerun proposes no second while it waits.
    month = f"{clock.business_day().replace(day=1) - timedelta(days=1):%Y-%m}"
    do_close_period(demo.uow(Actor.system("demo-test", "cli")), month)
    assert workday.leave_work(demo).corrections == 4
    assert workday.leave_work(demo).corrections == 0
    assert _count(demo, select(func.count()).select_from(UsageCorrectionRequest)) == 4
    finance = Work(actor_from_username(demo, "finance.zj-hz-fy"))
    assert {i.provider.key: i.tally.count for i in todo.my_work(finance)}[
        "readings.corrections_to_decide"
    ] == 1
