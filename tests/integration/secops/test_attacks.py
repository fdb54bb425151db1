"""OPS-8: scanner fingerprints and injection attempts are blocked at once, a burst of
refused requests and a run through many object ids (bulk extraction) block the network for
ten minutes; each block is logged (attack event + audit entry) and alerted once; the
posture counts them. Administration routes answer only the administration networks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.app import create_app
from safegrid.secops import posture, shield
from safegrid.secops.resilience_models import AttackEvent
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.world import World

OUTSIDE = ("203.0.113.9", 40000)


@pytest.fixture(autouse=True)
def fresh_windows() -> Iterator[None]:
    shield.reset()
    yield
    shield.reset()


def _events(world: World) -> dict[str, int]:
    with world.platform.engine.connect() as conn:
        rows = conn.execute(select(AttackEvent.kind, func.count()).group_by(AttackEvent.kind))
        return {k: n for k, n in rows}


def test_ops_8_scanners_and_injection_are_blocked_logged_and_alerted(world: World) -> None:
    client = TestClient(app_for(world.platform), client=OUTSIDE)
    world.staff(Post.DEPARTMENT_HEAD, "countyA")
    r = client.get("/api/customers?id=1", headers={"User-Agent": "sqlmap/1.8#stable"})
    assert r.status_code == 403 and "blocked" in r.text
    r = client.get("/api/customers", params={"q": "x' OR '1'='1"})
    assert r.status_code == 400
    r = client.get("/api/customers", params={"q": "1 UNION SELECT password_hash FROM x"})
    assert r.status_code == 400
    assert client.get("/static/../../etc/passwd").status_code in (400, 404)
    assert _events(world) == {"scanner": 1, "injection": 1}  # one row per kind and minute
    with world.platform.engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(Alert.key_field == "attack_blocked")) == 2
    dso = world.actor(world.staff(Post.DATA_SECURITY_OFFICER, "prov"))
    items = {i.key: i for i in posture.posture(world.platform.uow(dso)).items}
    assert items["attacks"].value == 2


def test_ops_8_a_burst_of_refusals_and_bulk_extraction_block_the_network(world: World) -> None:
    app = create_app(world.platform)
    burst = TestClient(app, client=("198.51.100.7", 1000))
    for _ in range(41):
        burst.get("/api/customers")  # 401 each: not signed in
    assert burst.get("/api/health").status_code == 403  # the whole network, even health
    assert _events(world)["denied_burst"] == 1
    reader = world.staff(Post.CASHIER, "stationA")
    token = world.token(reader)
    bulk = TestClient(app, client=("192.0.2.44", 1000))
    codes = [
        bulk.get(
            f"/api/customers?page={i}", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        for i in range(1, 130)
    ]
    assert codes[0] == 200 and codes[120] == 429 and codes[-1] == 403  # then blocked
    assert _events(world)["bulk_extraction"] == 1


def test_ops_8_admin_functions_only_from_administration_networks(world: World) -> None:
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    token = world.token(admin)
    body = {"username": "new.user.ops8", "real_name": "新员工", "post": "cashier",
            "org_unit_id": world.units["stationA"], "initial_password": "Initial@Pass1"}  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    outside = TestClient(app_for(world.platform), client=OUTSIDE)
    r = outside.post("/api/staff", json=body, headers={**headers, "Accept-Language": "en"})
    assert r.status_code == 403 and "administration network" in r.text
    inside = TestClient(app_for(world.platform), client=("10.1.2.3", 1000))
    assert inside.post("/api/staff", json=body, headers=headers).status_code == 201
