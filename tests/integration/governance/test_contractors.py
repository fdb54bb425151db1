"""IAM-7: contractors see only the meters (and masked locations) of work orders assigned to
them, and nothing after their service end date — enforced by the row scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from safegrid.bootstrap import Platform
from safegrid.fieldwork import services as fieldwork
from safegrid.fieldwork.models import WorkOrderKind
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import Staff, World

T0 = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)  # 2026-11-23 in Beijing
END = date(2026, 11, 30)


@pytest.fixture
def fixed() -> clock.FixedClock:
    c = clock.FixedClock(T0)
    clock.set_clock(c)
    return c


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(app_for(platform)) as c:
        yield c


def _contractor(world: World, ends_on: date | None = END) -> Staff:
    contractor = world.staff(Post.CONTRACTOR, "countyA")
    if ends_on is not None:
        admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
        fieldwork.do_set_service_end(world.platform.uow(world.actor(admin)), contractor.id, ends_on)
    return contractor


def _meters(world: World) -> tuple[int, int]:
    area = world.reading_area("stationA")
    return world.meter(world.customer("stationA"), area), world.meter(
        world.customer("stationA"), area
    )


def _order(world: World, meter_id: int, assignee: Staff | None) -> int:
    leader = world.staff(Post.TEAM_LEADER, "countyA")
    return fieldwork.do_open_work_order(
        world.platform.uow(world.actor(leader)),
        fieldwork.NewWorkOrder(
            WorkOrderKind.REPLACE, meter_id, END, assignee.id if assignee else None
        ),
    )


def _get(client: TestClient, world: World, staff: Staff, url: str) -> tuple[int, object]:
    resp = client.get(url, headers={"Authorization": f"Bearer {world.token(staff)}"})
    return resp.status_code, resp.json()


def test_iam_7_contractor_sees_assigned_meter_not_others(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    contractor = _contractor(world)
    mine, other = _meters(world)
    _order(world, mine, contractor)
    _order(world, other, None)  # same station, not his
    status, body = _get(client, world, contractor, f"/api/meters/{mine}")
    assert status == 200, body
    assert _get(client, world, contractor, f"/api/meters/{other}")[0] == 404
    status, listing = _get(client, world, contractor, "/api/meters")
    assert status == 200 and [m["id"] for m in listing["items"]] == [mine]  # type: ignore[index]
    status, orders = _get(client, world, contractor, "/api/workorders")
    assert status == 200
    assert [o["meter_id"] for o in orders] == [mine]  # type: ignore[union-attr]
    address = orders[0]["address"]  # type: ignore[index]
    assert address.endswith("***") and "号" not in address  # masked to street level


def test_iam_7_contractor_sees_nothing_after_the_end_date(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    contractor = _contractor(world)
    mine, _ = _meters(world)
    _order(world, mine, contractor)
    fixed.advance(timedelta(days=7))  # 2026-11-30, the last day: still visible
    assert _get(client, world, contractor, f"/api/meters/{mine}")[0] == 200
    fixed.advance(timedelta(days=1))
    assert _get(client, world, contractor, f"/api/meters/{mine}")[0] == 404
    assert _get(client, world, contractor, "/api/workorders")[1] == []


def test_iam_7_without_an_end_date_a_contractor_sees_nothing(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    contractor = world.staff(Post.CONTRACTOR, "countyA")
    mine, _ = _meters(world)
    with pytest.raises(ValidationProblem, match="service ends"):
        _order(world, mine, contractor)
    assert _get(client, world, contractor, "/api/meters")[1]["items"] == []  # type: ignore[index]


def test_iam_7_closed_work_order_ends_the_view_and_other_tables_stay_closed(
    world: World, client: TestClient, fixed: clock.FixedClock
) -> None:
    contractor = _contractor(world)
    mine, _ = _meters(world)
    order = _order(world, mine, contractor)
    leader = world.staff(Post.TEAM_LEADER, "countyA")
    fieldwork.do_close(world.platform.uow(world.actor(leader)), order)
    assert _get(client, world, contractor, f"/api/meters/{mine}")[0] == 404
    # Fail closed: the scope hides every other scoped table, whatever routes exist.
    from sqlalchemy import func, select

    from safegrid.customers.models import Customer

    with world.platform.uow(world.actor(contractor), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 0
