"""My work (待办, issue 13): each post lands on its to-do list, counted in its own scope
(ORG-2), overdue work in red; the menu is grouped by business area and shows only what the
post uses (IAM-1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from safegrid.payments.counter.settings import get_counter_settings
from safegrid.security.actor import Actor
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Perm, Post
from safegrid.web import navigation, todo
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import Staff, World


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    get_counter_settings.cache_clear()
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def _home(world: World, staff: Staff, locale: str = "en") -> str:
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, locale)
    page = client.get("/")
    assert page.status_code == 200
    return page.text


def _row(html: str, key: str) -> str:
    found = re.search(rf'<li class="(\w+)" data-todo="{re.escape(key)}">(.*?)</li>', html, re.S)
    assert found is not None, f"no to-do row {key}"
    return f"{found.group(1)} {found.group(2)}"


def _count(row: str) -> int:
    found = re.search(r'data-testid="todo-count">(\d+)<', row)
    assert found is not None
    return int(found.group(1))


def test_checker_sees_receipts_waiting_and_yesterdays_are_overdue(desk: Desk) -> None:
    account_no, _ = desk.account(bill="40.00")
    desk.pay(account_no, "40.00")
    checker_home = _home(desk.world, desk.checker)
    row = _row(checker_home, "counter.receipts_to_check")
    assert _count(row) == 1 and row.startswith("waiting")
    assert _count(_row(_home(desk.world, desk.cashier), "counter.my_unchecked")) == 1

    desk.clock.advance(timedelta(days=1))
    row = _row(_home(desk.world, desk.checker), "counter.receipts_to_check")
    assert row.startswith("overdue") and "1 overdue" in row

    # Another county's checker has nothing of ours to check (ORG-2).
    far = desk.world.staff(Post.CHECKER, "countyB")
    assert _count(_row(_home(desk.world, far), "counter.receipts_to_check")) == 0


def test_to_do_list_is_in_chinese_for_chinese_staff(desk: Desk) -> None:
    html = _home(desk.world, desk.checker, "zh")
    assert "待我复核的收据" in html and "我的待办" in html


def test_each_post_sees_only_its_own_kinds_of_work(world: World) -> None:
    keys = {p.key for p in todo.providers()}
    reader = world.actor(world.staff(Post.METER_READER, "stationA"))
    head = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    dso = world.actor(world.staff(Post.DATA_SECURITY_OFFICER, "countyA"))
    assert {p.key for p in todo.providers_for(reader)} == {"readings.due"}
    assert "readings.due" not in {p.key for p in todo.providers_for(head)}
    assert {"readings.months_to_close", "arrears.notices_to_approve", "datause.head_approvals"} <= {
        p.key for p in todo.providers_for(head)
    }
    assert "datause.dso_approvals" in {p.key for p in todo.providers_for(dso)}
    assert "counter.receipts_to_check" not in {p.key for p in todo.providers_for(head)}
    assert keys >= {"alerts.to_acknowledge", "risk.cases_open", "counter.deposits_due"}


def test_a_to_do_key_registered_twice_is_refused() -> None:
    first = todo.providers()[0]
    todo.register(first)  # the same provider again (a second app in one process) is fine
    clash = todo.TodoProvider(first.key, "x", "system", Perm.ORG_VIEW, "/", first.count)
    with pytest.raises(ValueError, match=first.key):
        todo.register(clash)


def test_menu_is_grouped_by_area_and_shows_only_what_the_post_uses(world: World) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    html = _home(world, reader, "zh")
    areas = re.findall(r'class="nav-heading" data-area="(\w+)"', html)
    assert areas == ["metering", "system"]  # readings, meters; org units and post changes
    assert 'href="/counter/desk"' not in html and 'href="/audit"' not in html
    assert 'href="/docs"' not in html  # API documentation only for those who need it
    admin_html = _home(world, world.staff(Post.SYSTEM_ADMIN, "countyA"))
    assert 'href="/docs"' in admin_html


def test_every_nav_entry_names_a_known_area() -> None:
    assert {item.area for item in navigation.NAV} <= navigation.AREAS.keys()
    assert navigation.nav_groups(None) == []
    system = Actor.system("tests")
    assert navigation.api_docs_for(system) is True


def test_reader_sees_his_unread_meters_and_a_reading_takes_one_off(world: World) -> None:
    from decimal import Decimal

    from safegrid.platform import clock
    from safegrid.readings import services as readings
    from safegrid.readings.schemas import ReadingEntry

    reader = world.staff(Post.METER_READER, "stationA")
    area = world.reading_area("stationA", reader)
    meters = [world.meter(world.customer("stationA"), area) for _ in range(2)]
    world.meter(world.customer("stationA"), world.reading_area("stationA"))  # not his route
    assert _count(_row(_home(world, reader), "readings.due")) == 2
    client = TestClient(app_for(world.platform))
    client.cookies.set(SESSION_COOKIE, world.token(reader, "console"))
    page = client.get("/readings")
    assert page.text.count('data-testid="enter-') == 2

    with world.platform.uow(world.system(), readonly=True) as uow:
        from safegrid.customers.models import Meter

        asset = uow.session.get(Meter, meters[0])
        assert asset is not None
        asset_no = asset.asset_no
    readings.do_enter_reading(
        world.platform.uow(world.actor(reader)),
        ReadingEntry(asset_no=asset_no, read_on=clock.business_day(), total=Decimal("10.00")),
    )
    assert _count(_row(_home(world, reader), "readings.due")) == 1
