"""OPS-6 / OPS-8: an administrator registers a hall's node in the console and reads its
one-time pairing code once; the node claims its key with the code (once: a used, wrong or
expired code is refused); a revoked node's batches are refused with a clear error and
logged, and its hall may be given a new node."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.platform.errors import ValidationProblem
from safegrid.secops.offline import sealing
from safegrid.secops.offline import site as node_site
from safegrid.secops.offline.models import OfflineNode
from safegrid.secops.offline.node import SYNC_PATH
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World

PAGE = "/secops/offline-nodes"
PAIR = "/api/counter/offline/pair"


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def _register(console: TestClient, cookie: dict[str, str], hall: int, code: str) -> str:
    page = console.post(PAGE, data={"hall_id": str(hall), "code": code}, headers=cookie)
    assert page.status_code == 201, page.text
    found = re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}", page.text)
    assert found is not None, "the pairing code is shown on the answer"
    return found.group(0)


def test_ops_6_node_paired_by_one_time_code_and_revoked(desk: Desk, tmp_path: Path) -> None:
    world, hall = desk.world, desk.world.units["hallA"]
    console = TestClient(app_for(world.platform))
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    cookie = {
        "Cookie": f"{SESSION_COOKIE}={world.token(admin, 'console')}",
        "Accept-Language": "en",
    }
    code = _register(console, cookie, hall, "halla-n7")
    assert 'data-state="waiting"' in console.get(PAGE, headers=cookie).text
    # A second active node for the hall is refused, naming the field.
    again = console.post(PAGE, data={"hall_id": str(hall), "code": "HALLA-N8"}, headers=cookie)
    assert again.status_code == 409
    with world.platform.uow(world.system(), readonly=True) as uow:
        stored = uow.session.scalars(select(OfflineNode.pairing_digest)).one()
    assert stored is not None and code.replace("-", "") not in stored  # only its digest

    api = TestClient(app_for(world.platform))
    assert api.post(PAIR, json={"pairing_code": "AAAAA-BBBBB-CCCCC-DDDDD"}).status_code == 404
    # On the hall's machine a refused code leaves nothing to clear before the next try.
    with pytest.raises(ValidationProblem, match="HTTP 404"):
        node_site.claim(tmp_path / "node", api, "AAAAA-BBBBB-CCCCC-DDDDD")
    assert not (tmp_path / "node").exists()
    claimed = api.post(PAIR, json={"pairing_code": code.lower()})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["node"] == "HALLA-N7" and claimed.json()["hall_id"] == hall
    used = api.post(PAIR, json={"pairing_code": code}, headers={"Accept-Language": "en"})
    assert used.status_code == 404 and "used or expired" in used.json()["detail"]

    pairing = claimed.json()
    sent = "2026-11-02T01:59:00Z"
    sealed = sealing.seal(sealing.decode_key(pairing["key"]), "HALLA-N7", "ob-revoked-1", sent, [])
    batch = {"node": "HALLA-N7", "batch_key": "ob-revoked-1", "sent_at": sent, "sealed": sealed}
    bearer = {"Authorization": f"Bearer {world.token(desk.cashier)}", "Accept-Language": "en"}
    assert 'data-state="paired"' in console.get(PAGE, headers=cookie).text

    with world.platform.uow(world.system(), readonly=True) as uow:
        node_id = uow.session.scalars(select(OfflineNode.id)).one()
    revoked = console.post(
        f"{PAGE}/{node_id}/revoke",
        data={"reason": "节点被盗 / stolen"},
        headers=cookie,
        follow_redirects=False,
    )
    assert revoked.status_code == 303, revoked.text
    refused = api.post(SYNC_PATH, json=batch, headers=bearer)
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"], refused.text
    with world.platform.uow(world.system(), readonly=True) as uow:
        actions = list(uow.session.scalars(select(AuditEntry.action)))
    assert "offline.node_revoked" in actions and "offline.sync_revoked" in actions
    assert "offline.sync_batch" not in actions  # nothing of the batch was taken
    # The hall gets a new node; the revoked one stays on record.
    _register(console, cookie, hall, "HALLA-N9")
    page = console.get(PAGE, headers=cookie).text
    assert 'data-state="revoked"' in page and 'data-state="waiting"' in page


def test_ops_6_an_expired_pairing_code_is_refused(desk: Desk) -> None:
    world = desk.world
    console = TestClient(app_for(world.platform))
    admin = world.staff(Post.SYSTEM_ADMIN, "countyA")
    cookie = {"Cookie": f"{SESSION_COOKIE}={world.token(admin, 'console')}"}
    code = _register(console, cookie, world.units["hallA"], "HALLA-OLD")
    desk.clock.advance(timedelta(hours=25))
    assert (
        TestClient(app_for(world.platform)).post(PAIR, json={"pairing_code": code}).status_code
        == 404
    )
    fresh = {"Cookie": f"{SESSION_COOKIE}={world.token(admin, 'console')}"}
    assert 'data-state="expired"' in console.get(PAGE, headers=fresh).text
