"""Console pages of the account lifecycle (IAM-4..8) with data in them, Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from safegrid.bootstrap import Platform
from safegrid.fieldwork import services as fieldwork
from safegrid.fieldwork.models import WorkOrderKind
from safegrid.governance import departures, idle, permchange, training
from safegrid.platform import clock
from safegrid.security import accounts, passwords
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.policy import Post
from safegrid.web.i18n import LANG_COOKIE
from tests.fixtures.apps import app_for
from tests.fixtures.world import PASSWORD, Staff, World


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _page(client: TestClient, world: World, staff: Staff, path: str, lang: str = "zh") -> str:
    client.cookies.set(SESSION_COOKIE, world.token(staff, "console"))
    client.cookies.set(LANG_COOKIE, lang)
    resp = client.get(path)
    assert resp.status_code == 200, resp.text[:500]
    return resp.text


def test_iam_4_inboxes_show_the_step_each_post_may_take(world: World, client: TestClient) -> None:
    target = world.staff(Post.CASHIER, "stationA")
    applicant = world.staff(Post.CASHIER, "stationA")
    permchange.do_apply(
        world.platform.uow(world.actor(applicant)),
        permchange.NewChange(target.id, Post.CHECKER, "轮岗至复核岗位"),
    )
    leader = world.staff(Post.TEAM_LEADER, "countyA")
    html = _page(client, world, leader, "/governance/permission-changes")
    assert "待班组长审批" in html and "leader-decision" in html
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    html = _page(client, world, head, "/governance/permission-changes", "en")
    assert "Waiting for team leader" in html and "head-decision" not in html
    # The applicant only waits: no decision buttons on his own request.
    html = _page(client, world, applicant, "/governance/permission-changes")
    assert "leader-decision" not in html


def test_iam_5_6_8_7_admin_pages_render_their_rows(world: World, client: TestClient) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    leaver = world.staff(Post.CASHIER, "stationA")
    departures.do_record_departure(
        world.platform.uow(world.actor(admin)),
        departures.NewDeparture(leaver.id, clock.now() - timedelta(hours=5), "离职"),
    )
    html = _page(client, world, admin, "/governance/departures")
    assert leaver.username in html and "超时" in html
    s = world.platform.settings
    new_id = accounts.do_create_staff(
        world.platform.uow(world.actor(admin)),
        accounts.NewStaff("trainee.one", "李培训", Post.CASHIER, world.units["stationA"], PASSWORD),
        hasher=passwords.hasher(s.argon2_time_cost, s.argon2_memory_kib),
    )
    training.do_record_training(
        world.platform.uow(world.actor(admin)), new_id, training.TrainingUpdate(Decimal(8))
    )
    html = _page(client, world, admin, "/governance/training", "en")
    assert "trainee.one" in html and "8.0 / 16" in html and "disabled" in html
    world.staff(Post.CASHIER, "stationA")
    clock.set_clock(clock.FixedClock(clock.now() + timedelta(days=40)))
    idle.run_idle_listing(world.platform.uow(world.system()))
    html = _page(client, world, admin, "/governance/idle-accounts")
    assert "/governance/idle-accounts/" in html
    leader = world.staff(Post.TEAM_LEADER, "countyA")
    meter = world.meter(world.customer("stationA"), world.reading_area("stationA"))
    fieldwork.do_open_work_order(
        world.platform.uow(world.actor(leader)),
        fieldwork.NewWorkOrder(WorkOrderKind.REPLACE, meter, clock.business_day()),
    )
    html = _page(client, world, leader, "/workorders")
    assert "换表" in html and "***" in html
