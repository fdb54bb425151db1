"""OPS-6 against a running server: the typhoon drill with the hall's line a local TCP proxy
that drops connections (cut mid-day, one answer lost after the server acted), then the
ledger counted — every offline receipt exactly once, the double payment credit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from safegrid.customers.models import Account
from safegrid.platform import clock
from safegrid.secops.offline import drill
from tests.attack.conftest import LiveServer
from tests.fixtures.bills import Bills
from tests.fixtures.counter import make_desk
from tests.fixtures.link_proxy import DroppingProxy
from tests.fixtures.offline_node import paired_hall
from tests.fixtures.world import World

pytestmark = pytest.mark.attack


def test_ops_6_drill_through_a_proxy_that_drops_connections(
    live_server: LiveServer, world: World, bills: Bills, tmp_path: Path
) -> None:
    desk = make_desk(world, bills, clock.FixedClock(datetime.now(clock.BUSINESS_TZ)))
    customers = []
    for amount in ("40.00", "25.50", "70.00"):
        number, bill = desk.account(bill=amount)
        assert bill is not None
        with world.platform.uow(world.system(), readonly=True) as uow:
            account_id = uow.session.scalars(
                select(Account.id).where(Account.number == number)
            ).one()
        customers.append(drill.Customer(number, account_id, bill, Decimal(amount)))
    proxy = DroppingProxy(int(live_server.base_url.rsplit(":", 1)[1]))
    headers = {"Authorization": f"Bearer {world.token(desk.cashier)}"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{proxy.port}", timeout=30) as client:
            hall = paired_hall(world, desk.cashier, desk.checker, tmp_path, server=client)
            report = drill.run(world.platform, client, proxy, hall, headers, customers=customers)
    finally:
        proxy.close()
    assert report.sync_while_down == "queued" and report.batch_replay_status == 409
    assert report.offline_taken == 2 and report.in_ledger_once == 2 and report.ok, report
    assert report.replayed_after_lost_answer == 1 and report.conflicts == 1
    assert report.credited == Decimal("25.50")
