"""OPS-6: the hall's offline node runs the same application on its own SQLite file. Paired
with the one-time code, it carries the hall's counter staff (sign-in material encrypted
under the node's key) and accounts; the cashier signs in and takes a payment on the same
counter pages, numbered from the hall's offline series; a different checker confirms it
there (dual control); the sync records it centrally under the same number, and a member of
staff frozen centrally meanwhile cannot sign in on the node after the sync."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, update

from safegrid.governance.staff_admin import do_freeze_staff
from safegrid.payments.counter.models import CounterReceipt, ReceiptStatus
from safegrid.platform import clock
from safegrid.secops.offline import nodes
from safegrid.secops.offline import site as node_site
from safegrid.secops.offline.in_process import AppClient
from safegrid.secops.offline.nodes import do_register_node
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.offline_node import central as central_client
from tests.fixtures.offline_node import console_sign_in, sign_in
from tests.fixtures.world import PASSWORD


@pytest.fixture
def desk(world, bills: Bills) -> Iterator[Desk]:  # type: ignore[no-untyped-def]
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def test_ops_6_node_serves_the_counter_and_syncs(desk: Desk, tmp_path: Path) -> None:
    world = desk.world
    central = central_client(world)
    admin = world.actor(world.staff(Post.SYSTEM_ADMIN, "countyA"))
    code = do_register_node(world.platform.uow(admin), world.units["hallA"], "HALLA-N1")
    number, bill_id = desk.account(bill="78.00")
    # Part of the bill paid at the server's counter before the node was paired: the node
    # carries its write-off (and the server's posting references, which its own ledger
    # must never collide with: the node's first payment has id 1 too).
    desk.pay(number, "14.00", bill_id=bill_id)
    leaving = world.staff(Post.CHECKER, "countyA")
    moving = world.staff(Post.CASHIER, "countyA")
    site = node_site.claim(tmp_path / "node", central, code.pairing_code)
    node_platform = site.platform()
    node = AppClient(node_platform)
    # The sign-in material rests encrypted under the node's key: no secret in the file.
    with sqlite3.connect(site.db) as raw:
        stored = raw.execute(
            "SELECT totp_secret FROM staff_accounts WHERE username = ?", (desk.cashier.username,)
        ).fetchone()[0]
    assert stored and desk.cashier.totp_secret not in stored

    assert console_sign_in(node, desk.cashier).status_code == 303
    page = node.get(f"/counter/desk?account_no={number}")
    assert page.status_code == 200 and number in page.text and "64.00" in page.text
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', page.text)
    assert key is not None
    taken = node.post(
        "/counter/desk/payments",
        data={
            "account_no": number,
            "amount": "64.00",
            "method": "cash",
            "bill_id": str(bill_id),
            "request_key": key.group(1),
        },
        follow_redirects=False,
    )
    assert taken.status_code == 303, taken.text
    receipt_page = node.get(taken.headers["location"])
    (receipt_no,) = set(re.findall(r"[A-Z0-9-]+-\d{8}-9\d{5}", receipt_page.text))
    assert receipt_no.endswith("-900001")
    receipt_id = int(taken.headers["location"].rsplit("/", 1)[1])
    # Today's list at the desk and the console's home page, as on the server.
    assert receipt_no in node.get("/counter/desk").text
    assert node.get("/").status_code == 200
    # Dual control on the node as on the server: the cashier cannot confirm his own.
    desk.clock.advance(timedelta(seconds=31))  # a one-time code signs in once
    signed_at = clock.now()
    signed = sign_in(node, desk.cashier)
    assert signed.status_code == 200, signed.text
    cashier_api = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    own = node.post(
        f"/api/counter/receipts/{receipt_id}/confirm",
        json={"counted": "64.00"},
        headers=cashier_api,
    )
    assert own.status_code == 403
    checker = sign_in(node, desk.checker)
    assert checker.status_code == 200, checker.text
    checked = node.post(
        f"/api/counter/receipts/{receipt_id}/confirm",
        json={"counted": "64.00"},
        headers={"Authorization": f"Bearer {checker.json()['access_token']}"},
    )
    assert checked.status_code == 200 and checked.json()["status"] == "confirmed"

    # Another payment waits for its checker: it stays on the node, which says so.
    waiting = node.post(
        "/api/counter/payments",
        json={"account_no": number, "amount": "5.00", "request_key": "off-waiting-0001"},
        headers=cashier_api,
    )
    assert waiting.status_code == 201, waiting.text

    # Frozen centrally while the hall is cut off: the node learns it at the next sync.
    do_freeze_staff(world.platform.uow(admin), leaving.id, "离职 / left")
    signed_before = sign_in(node, leaving)
    assert signed_before.status_code == 200
    session = {"Authorization": f"Bearer {signed_before.json()['access_token']}"}
    assert node.get("/api/counter/receipts", headers=session).status_code == 200
    with world.platform.uow(world.system()) as uow:  # posted to another county meanwhile
        uow.session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == moving.id)
            .values(org_unit_id=world.units["countyB"])
        )
        uow.audit("staff.transfer", object_type="staff_account", object_id=moving.id)
        uow.commit()
    desk.clock.advance(timedelta(seconds=31))
    bearer = {"Authorization": f"Bearer {world.token(desk.cashier)}"}
    results = site.sync(central, bearer)
    # The refresh keeps the node's own sign-in state: the code used there stays used.
    replayed = node.post(
        "/api/auth/token",
        json={
            "username": desk.cashier.username,
            "password": PASSWORD,
            "otp": pyotp.TOTP(desk.cashier.totp_secret).at(signed_at),
        },
    )
    assert replayed.status_code == 401
    assert results is not None and [r["status"] for r in results] == ["applied"], results
    with world.platform.uow(world.system(), readonly=True) as uow:
        row = uow.session.execute(
            select(CounterReceipt.status, CounterReceipt.amount).where(
                CounterReceipt.receipt_no == receipt_no
            )
        ).one()
    assert row.status == ReceiptStatus.CONFIRMED and str(row.amount) == "64.00"
    assert sign_in(node, leaving).status_code in (401, 403)
    assert node.get("/api/counter/receipts", headers=session).status_code == 401
    assert sign_in(node, moving).status_code in (401, 403)
    with node_platform.uow(world.system(), readonly=True) as uow:
        loaded = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "offline.node_rows_loaded")
        ).all()
    assert len(loaded) == 2  # at pairing and after the sync, each audited on the node
    (listed,) = nodes.nodes(world.platform.uow(admin, readonly=True))
    assert listed.pending == 1 and listed.last_contact is not None and listed.batches == 1
    desk.clock.advance(timedelta(seconds=31))
    assert sign_in(node, desk.cashier).status_code == 200
    node_platform.dispose()
