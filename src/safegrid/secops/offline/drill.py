"""The typhoon drill of the offline hall (OPS-5 June drill, OPS-6): cut the hall's link,
keep the counter taking payments on the local node, have a customer pay one of those bills
online meanwhile, restore the link, lose the server's first answer, sync again, replay a
batch — then count: every offline receipt in the ledger exactly once with its number, the
bill paid twice turned into credit with a case, nothing lost, nothing doubled.

The hall's node is the real one (:mod:`.site`): the same application on the node's own
database, the cashier taking each payment and a second person confirming it through the
counter's own API there.

The hall's link is :class:`Link`, an HTTP transport in front of the server that, cut,
drops every connection, and can drop one answer after the server has acted on the request
(the worst case for exactly-once).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from decimal import Decimal
from typing import Any, Protocol

import httpx
from sqlalchemy import func, select

from safegrid.bootstrap import Platform
from safegrid.payments.counter.models import CounterReceipt, ReceiptStatus
from safegrid.payments.counter.receipts import OFFLINE_FIRST_SERIAL
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.secops.offline.models import OfflineCase
from safegrid.secops.offline.node import SYNC_PATH
from safegrid.secops.offline.site import NodeSite
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped


class Server(Protocol):
    """Whatever carries a request to the server: an HTTP client (httpx, or the test
    client of the server's application in process)."""

    def request(self, method: str, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


class Link(httpx.BaseTransport):
    """The hall's line to the server."""

    def __init__(self, inner: Server) -> None:
        self.inner = inner
        self.up = True
        self.drop_next_answer = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("link cut (drill)", request=request)
        answer = self.inner.request(
            request.method, str(request.url), content=request.read(), headers=dict(request.headers)
        )
        response = httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content
        )
        if self.drop_next_answer:
            self.drop_next_answer = False
            response.read()
            raise httpx.ReadError("answer lost on the way back (drill)", request=request)
        return response


class Counter(Protocol):
    """The node's counter as the drill calls it (an HTTP client of the node's application)."""

    def post(self, url: str, *, json: Any, headers: dict[str, str]) -> Any: ...


class Line(Protocol):
    """The hall's line as the drill handles it: :class:`Link`, or a TCP proxy in front of a
    running server (tests/fixtures/link_proxy.py)."""

    up: bool
    drop_next_answer: bool


@dataclasses.dataclass(frozen=True)
class Customer:
    account_no: str
    account_id: int
    bill_id: int
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class Hall:
    """The hall's node in the drill: its directory, its counter (the node's application),
    and the cashier's and the checker's sessions on it."""

    site: NodeSite
    counter: Counter
    cashier: dict[str, str]
    checker: dict[str, str]


def take_offline(hall: Hall, c: Customer) -> str:
    """收款 on the node's counter, confirmed by the checker there: the receipt number."""
    taken = hall.counter.post(
        "/api/counter/payments",
        json={
            "account_no": c.account_no,
            "amount": str(c.amount),
            "request_key": f"off{uuid.uuid4().hex}",
            "bill_id": c.bill_id,
        },
        headers=hall.cashier,
    )
    _require(taken, f"take {c.account_no}")
    receipt = taken.json()
    checked = hall.counter.post(
        f"/api/counter/receipts/{receipt['id']}/confirm",
        json={"counted": str(c.amount)},
        headers=hall.checker,
    )
    _require(checked, f"confirm {receipt['receipt_no']}")
    return str(receipt["receipt_no"])


def _require(answer: Any, what: str) -> None:
    if answer.status_code >= 400:
        raise RuntimeError(f"the node refused to {what}: HTTP {answer.status_code} {answer.text}")


@dataclasses.dataclass
class DrillReport:
    online_before: int = 0
    offline_taken: int = 0
    sync_while_down: str = ""
    applied: int = 0
    replayed_after_lost_answer: int = 0
    batch_replay_status: int = 0
    conflicts: int = 0
    refused: int = 0
    in_ledger_once: int = 0
    lost: list[str] = dataclasses.field(default_factory=list)
    doubled: list[str] = dataclasses.field(default_factory=list)
    numbers_changed: list[str] = dataclasses.field(default_factory=list)
    credited: Decimal = Decimal(0)
    open_cases: int = 0
    sync_seconds: float = 0.0
    gapless: bool = False

    @property
    def ok(self) -> bool:
        return (
            not self.lost
            and not self.doubled
            and not self.numbers_changed
            and self.gapless
            and self.in_ledger_once == self.offline_taken
        )


def _pay_online(client: httpx.Client, headers: dict[str, str], c: Customer) -> None:
    answer = client.post(
        "/api/counter/payments",
        json={
            "account_no": c.account_no,
            "amount": str(c.amount),
            "request_key": f"drill-{uuid.uuid4().hex[:24]}",
        },
        headers=headers,
    )
    answer.raise_for_status()


def run(
    platform: Platform,
    client: httpx.Client,
    link: Line,
    hall: Hall,
    headers: dict[str, str],
    *,
    customers: list[Customer],
) -> DrillReport:
    """``customers`` (at least three, each with an open bill): the first pays at the counter
    before the cut, the rest pay offline; the second's bill is also paid online meanwhile."""
    report = DrillReport()
    _pay_online(client, headers, customers[0])
    report.online_before = 1
    link.up = False
    taken = [take_offline(hall, c) for c in customers[1:]]
    report.offline_taken = len(taken)
    # The customer of the second receipt also pays the same bill online while the hall is cut off.
    twice = customers[1]
    ledger.do_capture(
        platform.uow(Actor.system("drill-online-gateway", "api")),
        account_id=twice.account_id,
        amount=twice.amount,
        channel=PaymentChannel.ONLINE_SANDBOX,
        idempotency_key=f"drill-online-{uuid.uuid4().hex}",
        bill_id=twice.bill_id,
    )
    node = hall.site
    report.sync_while_down = "queued" if node.sync(client, headers) is None else "SENT"
    link.up = True
    started = time.perf_counter()
    link.drop_next_answer = True  # the server applies the batch; its answer never arrives
    if node.sync(client, headers) is not None:
        raise AssertionError("the drill's lost answer reached the node")
    replay_of = node.queue.sealed_batch()
    results = node.queue.sync(client, headers, replay_of) or []
    node.refresh(client, staff_only=True)
    report.sync_seconds = time.perf_counter() - started
    report.replayed_after_lost_answer = sum(r["status"] == "replayed" for r in results)
    report.conflicts = sum(r["status"] == "conflict" for r in results)
    report.refused = sum(r["status"] == "refused" for r in results)
    report.applied = sum(r["status"] in ("applied", "replayed", "conflict") for r in results)
    if replay_of is not None:  # the same sealed batch again: refused whole
        report.batch_replay_status = client.post(
            SYNC_PATH, json=replay_of, headers=headers
        ).status_code
    _count(platform, node, taken, report)
    return report


def _count(platform: Platform, node: NodeSite, taken: list[str], report: DrillReport) -> None:
    skip = unscoped("the drill counts the hall's receipts and cases utility-wide")
    with platform.uow(Actor.system("offline-drill", "cli"), readonly=True) as uow:
        rows: dict[str, Any] = {}
        for number, n, status in uow.session.execute(
            select(CounterReceipt.receipt_no, func.count(Payment.id), CounterReceipt.status)
            .join(Payment, Payment.id == CounterReceipt.payment_id)
            .where(CounterReceipt.receipt_no.in_(taken))
            .group_by(CounterReceipt.receipt_no, CounterReceipt.status),
            execution_options=skip,
        ):
            rows[number] = (int(n), status)
        cases = list(
            uow.session.scalars(
                select(OfflineCase).where(OfflineCase.receipt_no.in_(taken)), execution_options=skip
            )
        )
    report.lost = [n for n in taken if n not in rows]
    report.doubled = [n for n, (count, _s) in rows.items() if count != 1]
    report.in_ledger_once = sum(
        1 for count, s in rows.values() if count == 1 and s == ReceiptStatus.CONFIRMED
    )
    report.numbers_changed = [
        e["receipt_no"] for e in node.queue.entries() if e["receipt_no"] not in taken
    ]
    report.credited = sum((c.credited for c in cases if c.kind == "paid_meanwhile"), Decimal(0))
    report.open_cases = sum(c.status == "open" for c in cases)
    serials = sorted(int(n[-6:]) for n in taken)
    report.gapless = serials == list(range(OFFLINE_FIRST_SERIAL, OFFLINE_FIRST_SERIAL + len(taken)))
