"""Insider scenarios replayed against a real server with real tokens (issue 18, OPS-1/2/8):

1. A county department head's token pages through the whole customer list from a network
   the shield judges (127.0.0.2: the attack runs exempt only 127.0.0.1): the shield cuts it
   off with a 429, blocks the network, and logs the attack once.
2. His departure is on file and effective, but the five-minute freeze job has not carried
   it out yet: the token still works, and he exports the customer list.
   The hourly detection job and the outbox relay — run here as the scheduler and
   ``safegrid events relay`` run them — record a ``departed_token`` detection, the default
   playbook freezes the account, and the token's next request is refused.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from safegrid.governance.departures import NewDeparture, do_record_departure
from safegrid.platform import clock, jobs
from safegrid.platform.job_runs import RunStatus
from safegrid.relay.relay import drain
from safegrid.secops import shield_rules
from safegrid.secops.catalog import do_install_defaults
from safegrid.secops.detector import Scenario
from safegrid.secops.models import Detection, SecurityCase
from safegrid.secops.resilience_models import AttackEvent
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post
from tests.attack.conftest import LiveServer
from tests.fixtures.world import World

pytestmark = pytest.mark.attack


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_ops_1_2_8_insider_scenarios_are_cut_off_detected_and_frozen(
    live_server: LiveServer, world: World
) -> None:
    # One server for both (its start is most of the cost); the shield's block covers only
    # 127.0.0.0/24 as seen from a judged address, so the second scenario still gets through
    # from the exempt 127.0.0.1.
    _bulk_paging_is_cut_off_and_logged(live_server, world)
    _departed_token_is_detected_and_frozen(live_server, world)


def _departed_token_is_detected_and_frozen(live_server: LiveServer, world: World) -> None:
    base, token = live_server.base_url, live_server.tokens["county"]
    county_id = live_server.ids["account_id"]
    do_install_defaults(world.platform.uow(world.system()))
    hr = world.actor(world.staff(Post.SYSTEM_ADMIN, "prov"))
    effective = clock.now() - timedelta(minutes=10)
    # The notice came in an hour ago for ten minutes ago: recorded then, it waited for the
    # freeze job, which has not run since (the live server runs no scheduler).
    real = clock.now()
    clock.set_clock(clock.FixedClock(real - timedelta(hours=1)))
    try:
        do_record_departure(world.platform.uow(hr), NewDeparture(county_id, effective, "离职"))
    finally:
        clock.set_clock(clock.SystemClock())

    with httpx.Client(base_url=base, headers=_bearer(token), timeout=10) as insider:
        export = insider.post("/api/datause/exports", json={"format": "csv"})
        assert export.status_code == 200, export.text

        run = jobs.run_job(world.platform, "secops.detect")
        assert run.status == RunStatus.SUCCEEDED, run.error
        drain(world.platform, budget_seconds=5)

        with world.platform.engine.connect() as conn:
            scenarios = set(
                conn.scalars(select(Detection.scenario).where(Detection.account_id == county_id))
            )
            status = conn.scalar(select(StaffAccount.status).where(StaffAccount.id == county_id))
            cases = conn.scalar(select(func.count()).where(SecurityCase.account_id == county_id))
        assert Scenario.DEPARTED_TOKEN.value in scenarios
        assert AccountStatus(status) == AccountStatus.FROZEN
        assert cases == 1
        assert insider.get("/api/customers").status_code == 401


def _bulk_paging_is_cut_off_and_logged(live_server: LiveServer, world: World) -> None:
    # Another loopback address: the server sees a client outside the exempt 127.0.0.1/32.
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(
        base_url=live_server.base_url,
        headers=_bearer(live_server.tokens["county"]),
        transport=transport,
        timeout=10,
    ) as insider:
        codes = [
            insider.get("/api/customers", params={"page": n, "size": 1}).status_code
            for n in range(1, shield_rules.EXTRACTION_IDS + 2)
        ]
        assert codes[:-1] == [200] * shield_rules.EXTRACTION_IDS
        assert codes[-1] == 429
        # The whole network is blocked now, whatever it asks for.
        assert insider.get("/api/customers/1").status_code == 403
    with world.platform.engine.connect() as conn:
        logged = conn.execute(select(AttackEvent.kind, AttackEvent.network)).all()
    assert logged == [("bulk_extraction", "127.0.0.0/24")]
