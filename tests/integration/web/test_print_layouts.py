"""Print layouts (issue 13, item 9): the disconnection notice served on a customer and the
bank deposit's slip cover print on A4 with the amount in Chinese capitals (大写金额), the
bill prints with its explanation; nothing on them is a raw code or an untranslated text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from safegrid.app import create_app
from safegrid.collection.notices import do_create_notice, do_decide_notice
from safegrid.collection.schemas import NoticeCreate, NoticeDecision
from safegrid.payments.counter import settlement
from safegrid.payments.counter.schemas import DepositIn, DrawerCountIn, SafeIn
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World
from tests.integration.web.test_raw_labels import _enum_values, problems

D = Decimal


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def test_notice_cover_and_bill_print_with_amounts_in_capitals(desk: Desk) -> None:
    world = desk.world
    finance = world.actor(world.staff(Post.FINANCE, "countyA"))
    head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    account = desk.bills.account("stationA")
    bill_id = desk.bills.bill(account, "312.40", due=date(2026, 10, 20))
    notice = do_create_notice(
        world.platform.uow(finance), NoticeCreate(account_id=account, reason="逾期未缴")
    )
    do_decide_notice(world.platform.uow(head), notice.id, NoticeDecision(approve=True))
    # A day of cash at the hall, counted, in the safe and deposited by two people.
    number, _ = desk.account(bill="80.00")
    desk.confirm(desk.pay(number, "80.00"))
    s = settlement.do_count_drawer(
        world.platform.uow(world.actor(desk.cashier)),
        DrawerCountIn(
            cashier_id=desk.cashier.id, business_day=date(2026, 11, 2), counted_cash=D("80.00")
        ),
    )
    settlement.do_put_in_safe(
        world.platform.uow(world.actor(desk.checker)), s.id, SafeIn(bag_no="BAG-0042")
    )
    dep = settlement.do_record_deposit(
        world.platform.uow(world.actor(desk.checker)),
        DepositIn(
            business_day=date(2026, 11, 2),
            bank_voucher="BOC-20261102-09",
            depositor_a_id=desk.cashier.id,
            depositor_b_id=desk.checker.id,
        ),
    )

    app = create_app(world.platform)

    def client(post: Post) -> TestClient:
        c = TestClient(app)
        c.cookies.set(SESSION_COOKIE, world.token(world.staff(post, "countyA"), "console"))
        c.cookies.set(LANG_COOKIE, "zh")
        return c

    raw = _enum_values()
    page = client(Post.FINANCE).get(f"/arrears/notices/{notice.id}/print")
    assert page.status_code == 200
    assert "欠费停电通知书" in page.text and "2026-11-09" in page.text  # 7 days' notice
    assert "叁佰壹拾贰元肆角" in page.text  # 312.40 overdue, no late fee accrued yet
    assert "草稿" not in page.text  # approved: may be served
    assert "/static/css/print.css" in page.text and "data-print" in page.text
    assert problems(page.text, raw) == []

    cover = client(Post.CASHIER).get(f"/counter/settlement/deposits/{dep.id}/cover")
    assert cover.status_code == 200
    assert "现金解款单封面" in cover.text and "BOC-20261102-09" in cover.text
    assert "捌拾元整" in cover.text and "BAG-0042" in cover.text
    assert problems(cover.text, raw) == []

    bill = client(Post.FINANCE).get(f"/bills/{bill_id}")
    assert "/static/css/print.css" in bill.text and "data-print" in bill.text
    assert 'data-testid="bill-explanation"' in bill.text

    # Another county's staff do not get this county's documents (ORG-2).
    other = TestClient(app)
    other.cookies.set(SESSION_COOKIE, world.token(world.staff(Post.FINANCE, "countyB"), "console"))
    assert other.get(f"/arrears/notices/{notice.id}/print").status_code == 404
