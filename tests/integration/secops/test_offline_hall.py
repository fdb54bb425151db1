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
from sqlalchemy import select

from safegrid.customers.models import Account
from safegrid.payments.counter.models import CounterReceipt, ReceiptStatus
from safegrid.payments.ledger.models import Payment
from safegrid.secops.offline import drill, sealing
from safegrid.secops.offline.models import OfflineCase
from safegrid.secops.offline.node import SYNC_PATH
from safegrid.secops.offline.sync import BatchIn, do_sync_offline
from safegrid.security.guards import SESSION_COOKIE
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.counter import Desk, fixed_day, make_desk
from tests.fixtures.offline_node import central, paired_hall
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


def _hall(desk: Desk, path: Path) -> drill.Hall:
    return paired_hall(desk.world, desk.cashier, desk.checker, path)


def _line(desk: Desk) -> tuple[httpx.Client, drill.Link]:
    link = drill.Link(central(desk.world))
    return httpx.Client(transport=link, base_url="http://testserver"), link


def test_ops_6_typhoon_drill_nothing_lost_nothing_doubled(desk: Desk, tmp_path: Path) -> None:
    customers = [_customer(desk, a) for a in ("80.00", "55.50", "120.00", "19.90")]
    hall = _hall(desk, tmp_path)
    node = hall.site.queue
    client, link = _line(desk)
    headers = {"Authorization": f"Bearer {desk.world.token(desk.cashier)}"}
    report = drill.run(desk.world.platform, client, link, hall, headers, customers=customers)
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
    console = central(desk.world)
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
    c = _customer(desk, "30.00")
    hall = _hall(desk, tmp_path)
    node = hall.site.queue
    client, _link = _line(desk)
    drill.take_offline(hall, c)
    # Dual control on the node: the cashier cannot confirm his own payment.
    own = hall.counter.post(
        "/api/counter/payments",
        json={"account_no": c.account_no, "amount": "30.00", "request_key": "off-own-000001"},
        headers=hall.cashier,
    )
    assert own.status_code == 201
    mine = hall.counter.post(
        f"/api/counter/receipts/{own.json()['id']}/confirm",
        json={"counted": "30.00"},
        headers={**hall.cashier, "Accept-Language": "en"},
    )
    assert mine.status_code == 403  # a second person confirms, as on the server
    # A refused payment takes no number: the series stays gapless.
    refused = hall.counter.post(
        "/api/counter/payments",
        json={"account_no": "0000000000", "amount": "30.00", "request_key": "off-nobody-0001"},
        headers=hall.cashier,
    )
    assert refused.status_code == 404
    checked = hall.counter.post(
        f"/api/counter/receipts/{own.json()['id']}/confirm",
        json={"counted": "30.00"},
        headers=hall.checker,
    )
    assert checked.status_code == 200, checked.text
    node.enqueue()
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
    customers = [_customer(desk, amount) for amount in ("11.00", "22.00", "33.00")]
    hall = _hall(desk, tmp_path)
    node = hall.site.queue
    for c in customers:
        drill.take_offline(hall, c)
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
