"""BILL-1: each unit's archive completeness and the list of what is missing, in the
caller's scope (ORG-2)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.customers.models import Customer
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World


def test_bill_1_completeness_per_unit_with_missing_list(world: World) -> None:
    with_meter = world.customer("stationA")
    world.meter(with_meter, world.reading_area("stationA"))
    bare = world.customer("stationA")
    world.customer("stationB")  # another county: not in the caller's figures
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA")
    http = TestClient(app_for(world.platform))
    http.headers["Authorization"] = f"Bearer {world.token(head)}"
    body = http.get("/api/archive/completeness").json()
    assert [(u["org_unit_id"], u["customers"]) for u in body["units"]] == [
        (world.units["stationA"], 2)
    ]
    missing = {m["customer"]: m["missing"] for m in body["missing"]}
    assert len(missing) == 2 - body["units"][0]["complete"]
    numbers = {m["customer"] for m in body["missing"]}
    # The customer without a meter lacks at least the meter; one with a meter does not.
    with world.platform.engine.connect() as c:
        bare_no = c.scalar(select(Customer.number).where(Customer.id == bare))
        full_no = c.scalar(select(Customer.number).where(Customer.id == with_meter))
    assert bare_no in numbers and "meter" in missing[bare_no]
    assert full_no not in numbers or "meter" not in missing[full_no]
