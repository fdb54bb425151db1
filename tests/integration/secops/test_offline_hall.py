"""OPS-6 (hall side): the typhoon drill — the hall's link is cut mid-day, the counter keeps
taking payments on the local node, a bill is paid online meanwhile, the link returns, the
server's first answer is lost — and afterwards every offline receipt is in the ledger
exactly once with its number, the double payment is credit with a case. Bad input: a forged
batch, a replayed batch key, a cashier of another hall, are refused and logged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safegrid.customers.models import Account
from safegrid.payments.counter.models import CounterReceipt, ReceiptStatus
from safegrid.payments.ledger.models import Payment
from safegrid.secops.offline import drill, sealing
from safegrid.secops.offline.models import OfflineCase
from safegrid.secops.offline.node import SYNC_PATH, HallNode
from safegrid.secops.offline.nodes import do_pair_node
from safegrid.secops.offline.sync import BatchIn, do_sync_offline
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.apps import app_for
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.world import World


@pytest.fixture
def desk(world: World, bills: Bills) -> Iterator[Desk]:
    with fixed_day() as fixed:
        yield make_desk(world, bills, fixed)


def _customer(desk: Desk, amount: str) -> drill.Customer:
    number, bill = desk.account(bill=amount)
    assert bill is not None
    with desk.world.platform.uow(desk.world.system(), readonly=True) as uow:
        account_id = uow.session.scalar(select(Account.id).where(Account.number == number))
    assert account_id is not None
    return drill.Customer(number, account_id, bill, Decimal(amount))


def _hall_node(desk: Desk, path: Path) -> HallNode:
    admin = desk.world.staff(Post.SYSTEM_ADMIN, "countyA")
    hall_id = desk.world.units["hallA"]
    pairing = do_pair_node(desk.world.platform.uow(desk.world.actor(admin)), hall_id, "HALLA-N1")
    return HallNode.create(path / "node.db", pairing)


def _line(desk: Desk) -> tuple[httpx.Client, drill.Link]:
    link = drill.Link(TestClient(app_for(desk.world.platform)))
    return httpx.Client(transport=link, base_url="http://testserver"), link


def test_ops_6_typhoon_drill_nothing_lost_nothing_doubled(desk: Desk, tmp_path: Path) -> None:
    node = _hall_node(desk, tmp_path)
    client, link = _line(desk)
    headers = {"Authorization": f"Bearer {desk.world.token(desk.cashier)}"}
    customers = [_customer(desk, a) for a in ("80.00", "55.50", "120.00", "19.90")]
    report = drill.run(
        desk.world.platform,
        client,
        link,
        node,
        headers,
        cashier=desk.cashier.username,
        checker=desk.checker.username,
        customers=customers,
    )
    assert report.sync_while_down == "queued"
    assert report.offline_taken == 3 and report.in_ledger_once == 3, report
    # The first answer was lost: the resent entries answer with their first outcome.
    assert report.replayed_after_lost_answer == 2 and report.conflicts == 1
    assert report.batch_replay_status == 409
    assert not report.lost and not report.doubled and not report.numbers_changed
    assert report.gapless and report.ok
    assert report.credited == Decimal("55.50") and report.open_cases == 1
    assert {e["status"] for e in node.entries()} == {"replayed", "conflict"}
    assert all(e["receipt_no"].endswith(("900001", "900002", "900003")) for e in node.entries())
    # The case is where the hall's staff see and close it (console, the cashier's scope).
    (twice,) = [e["receipt_no"] for e in node.entries() if e["status"] == "conflict"]
    console = TestClient(app_for(desk.world.platform))
    cookie = {"Cookie": f"{SESSION_COOKIE}={desk.world.token(desk.cashier, 'console')}"}
    page = console.get("/counter/offline-cases", headers=cookie)
    assert page.status_code == 200 and twice in page.text
    with desk.world.platform.uow(desk.world.system(), readonly=True) as uow:
        case_id = uow.session.scalars(select(OfflineCase.id)).one()
    closed = console.post(
        f"/counter/offline-cases/{case_id}/close",
        follow_redirects=False,
        data={"resolution": "已退还客户 / refunded"},
        headers=cookie,
    )
    assert closed.status_code == 303, closed.text
    assert twice not in console.get("/counter/offline-cases", headers=cookie).text


def test_ops_6_forged_or_foreign_batches_are_refused_and_logged(desk: Desk, tmp_path: Path) -> None:
    node = _hall_node(desk, tmp_path)
    client, _link = _line(desk)
    c = _customer(desk, "30.00")
    node.take(
        account_no=c.account_no,
        amount=c.amount,
        cashier=desk.cashier.username,
        checker=desk.checker.username,
        counted=c.amount,
    )
    with pytest.raises(Exception, match="different checker"):
        node.take(
            account_no=c.account_no,
            amount=c.amount,
            cashier=desk.cashier.username,
            checker=desk.cashier.username,
            counted=c.amount,
        )
    # A refused payment takes no number: the series stays gapless.
    node.take(
        account_no=c.account_no,
        amount=c.amount,
        cashier=desk.cashier.username,
        checker=desk.checker.username,
        counted=c.amount,
    )
    assert [e["receipt_no"][-6:] for e in node.entries()] == ["900001", "900002"]
    batch = node.sealed_batch()
    assert batch is not None
    cashier = {"Authorization": f"Bearer {desk.world.token(desk.cashier)}", "Accept-Language": "en"}
    forged = {
        **batch,
        "sealed": sealing.seal(
            sealing.new_key(), batch["node"], batch["batch_key"], batch["sent_at"], node.queued()
        ),
    }
    refused = client.post(SYNC_PATH, json=forged, headers=cashier)
    assert refused.status_code == 422 and "forged" in refused.json()["detail"], refused.text
    moved = client.post(SYNC_PATH, json={**batch, "batch_key": "ob-other-key"}, headers=cashier)
    assert moved.status_code == 422
    other = desk.world.staff(Post.CASHIER, "countyB")
    foreign = {"Authorization": f"Bearer {desk.world.token(other)}"}
    # Another hall's node is out of this cashier's scope: it looks like no node (ORG-2).
    assert client.post(SYNC_PATH, json=batch, headers=foreign).status_code == 404
    with desk.world.platform.uow(desk.world.system(), readonly=True) as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)))
    assert "offline.sync_forged" in actions and "offline.sync_batch" not in actions
    ok = client.post(SYNC_PATH, json=batch, headers=cashier)
    assert ok.status_code == 200, ok.text
    assert [r["status"] for r in ok.json()["results"]] == ["applied", "applied"]


def test_ops_6_two_syncs_of_one_queue_at_once_record_each_payment_once(
    desk: Desk, tmp_path: Path
) -> None:
    """A node that resends while its first sync is still running: on PostgreSQL the two
    requests really overlap; the entry keys (unique) decide, each payment lands once."""
    node = _hall_node(desk, tmp_path)
    for amount in ("11.00", "22.00", "33.00"):
        c = _customer(desk, amount)
        node.take(
            account_no=c.account_no,
            amount=c.amount,
            cashier=desk.cashier.username,
            checker=desk.checker.username,
            counted=c.amount,
            bill_id=c.bill_id,
        )
    batches = [node.sealed_batch(), node.sealed_batch()]
    actor = desk.world.actor(desk.cashier)
    start = threading.Barrier(2)
    answers: list[list[str]] = []

    def sync(batch: dict[str, str] | None) -> None:
        assert batch is not None
        start.wait()
        out = do_sync_offline(desk.world.platform, actor, BatchIn.model_validate(batch))
        answers.append([r.status for r in out.results])

    threads = [threading.Thread(target=sync, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 2 and all(set(a) <= {"applied", "replayed"} for a in answers), answers
    taken = [e["receipt_no"] for e in node.entries()]
    with desk.world.platform.uow(desk.world.system(), readonly=True) as uow:
        rows = uow.session.execute(
            select(CounterReceipt.receipt_no, CounterReceipt.status, Payment.amount)
            .join(Payment, Payment.id == CounterReceipt.payment_id)
            .where(CounterReceipt.receipt_no.in_(taken))
        ).all()
    assert sorted(r[0] for r in rows) == sorted(taken)
    assert {r[1] for r in rows} == {ReceiptStatus.CONFIRMED}
    assert sum(r[2] for r in rows) == Decimal("66.00")
