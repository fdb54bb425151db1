"""PAY-7 crash test at scale: paid callbacks keep arriving while the SafeGrid server is killed
with SIGKILL and restarted several times; afterwards every payment the gateway considers
delivered is recorded exactly once, none is lost, and the ledger adds up.

Runs against PostgreSQL (a killed server's open transactions are rolled back by the
database; SQLite's file locks would test something else). Processes, as in production:

* ``safegrid serve`` — the real console/API server on a free loopback port, restarted after
  every kill (``--kills`` times, at random moments while callbacks are in flight);
* ``safegrid-sandbox gateway`` — the sandbox channel with its own SQLite state, retrying
  every callback until SafeGrid answers ``success``.

This script seeds ``--accounts`` accounts (each with an open bill), creates ``--orders``
online orders through SafeGrid's order service (risk engine, limits, the signed merchant
request to the gateway), pays them through the gateway's control API in batches while the
killer runs, waits until the gateway has nothing left to deliver, then checks:

* every delivery the gateway holds is ``delivered`` (none lost), each paid order has
  exactly one Payment with the delivered amount (none doubled), no other online payment;
* the ledger invariant: Σ captured − Σ given back == Σ bill write-offs + Σ account credit.

    .venv/bin/python benchmarks/payments_crash.py --database-url postgresql+psycopg://…
        [--orders 2000] [--accounts 200] [--kills 8]     # the URL's tables are dropped first!
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.customers.models import Account, CustomerKind, Meter, ReadingArea, SupplyPoint
from safegrid.customers.schemas import CustomerCreate, MeterCreate
from safegrid.customers.services import do_install_meter, do_register_customer
from safegrid.customers.validation import id_check_char
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.ledger.invariant import LedgerTotals, ledger_totals
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.payments.online import keys
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.payments.online.orders import do_create_order, portal_actor
from safegrid.payments.online.sandbox import SandboxChannel
from safegrid.payments.online.settings import ChannelSettings
from safegrid.platform import clock
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

print = functools.partial(print, flush=True)  # progress shows as it happens
NOTIFY_PATH = "/api/payments/online/callbacks/sandbox"
SYSTEM = Actor.system("payments-crash", "cli")
TEST_SECRET = "payments-crash-test-secret-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli() -> str:
    return str(Path(sys.executable).with_name("safegrid"))


# --- seeding ---------------------------------------------------------------------------


def seed(platform: Platform, accounts: int, rng: random.Random) -> list[str]:
    """A station with ``accounts`` resident accounts, each with one open bill; returns the
    account numbers."""
    with platform.uow(SYSTEM) as uow:
        root = OrgUnit(
            code="crash", name="压测省", name_en="Crash", kind=UnitKind.PROVINCE, path="tmp-r"
        )
        uow.session.add(root)
        uow.session.flush()
        root.path = f"/{root.id}/"
        station = OrgUnit(
            code="crash-st",
            name="压测供电所",
            name_en="Crash station",
            kind=UnitKind.STATION,
            parent_id=root.id,
            path="tmp-s",
        )
        uow.session.add(station)
        uow.session.flush()
        station.path = f"{root.path}{station.id}/"
        area = ReadingArea(code="CRASH", name="压测区段", org_unit_id=station.id)
        uow.session.add(area)
        uow.session.flush()
        uow.audit("benchmark.seed", object_type="org_unit", object_id=root.id)
        uow.commit()
        unit, area_id = station.id, area.id
    for n in range(accounts):
        first17 = f"33018319{80 + n % 20:02d}0101{n % 1000:03d}"
        customer = do_register_customer(
            platform.uow(SYSTEM),
            CustomerCreate(
                kind=CustomerKind.RESIDENT,
                name=f"压测客户{n}",
                org_unit_id=unit,
                address=f"浙江省杭州市富阳区压测路{n}号",
                id_number=first17 + id_check_char(first17),
            ),
        )
        do_install_meter(
            platform.uow(SYSTEM),
            customer,
            MeterCreate(
                asset_no=f"CRASH{n:07d}",
                model="DDZY71-Z",
                reading_area_id=area_id,
                latitude=Decimal("30.050000"),
                longitude=Decimal("119.950000"),
                installed_on=clock.business_day(),
            ),
        )
    with platform.uow(SYSTEM) as uow:
        rows = uow.session.execute(
            select(Account.id, Account.number)
            .join(SupplyPoint, SupplyPoint.account_id == Account.id)
            .join(Meter, Meter.supply_point_id == SupplyPoint.id)
            .where(Meter.asset_no.like("CRASH%"))
            .order_by(Account.id)
        ).all()
        for i, (account_id, _number) in enumerate(rows):
            uow.session.add(
                Bill(
                    number=f"CR{i:010d}",
                    account_id=account_id,
                    period="2026-10",
                    kind=BillKind.NORMAL,
                    sequence=0,
                    status=BillStatus.ISSUED,
                    kwh=Decimal("100.00"),
                    amount=Decimal(rng.randint(2000, 30000)).scaleb(-2),
                    issued_at=clock.now(),
                    due_date=clock.business_day() + timedelta(days=15),
                    org_unit_id=unit,
                )
            )
        uow.audit("benchmark.bills", object_type="bill", org_unit_id=unit)
        uow.commit()
    return [number for _, number in rows]


# --- processes -------------------------------------------------------------------------


@dataclasses.dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    health: str
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.health, timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} not healthy in {timeout} s:\n{self.log.read_text()[-3000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions die with the connection."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def processes(db_url: str, workdir: Path, keys_dir: Path) -> Iterator[tuple[Proc, Proc]]:
    port, gw_port = free_port(), free_port()
    env = {
        **os.environ,
        "SAFEGRID_DATABASE_URL": db_url,
        "SAFEGRID_ENV": "test",
        "SAFEGRID_SECRET_KEY": TEST_SECRET,
        "SAFEGRID_SCHEDULER_ENABLED": "false",
        "SAFEGRID_PAY_KEYS_DIR": str(keys_dir),
        "SAFEGRID_PAY_GATEWAY_URL": f"http://127.0.0.1:{gw_port}",
    }
    server = Proc(
        "safegrid serve",
        [_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        workdir / "server.log",
        f"http://127.0.0.1:{port}/api/health",
    )
    gateway = Proc(
        "sandbox gateway",
        [
            sys.executable,
            "-m",
            "safegrid_sandbox",
            "gateway",
            "--host",
            "127.0.0.1",
            "--port",
            str(gw_port),
            "--notify-url",
            f"http://127.0.0.1:{port}{NOTIFY_PATH}",
            "--db",
            str(workdir / "gateway.db"),
            "--keys-dir",
            str(keys_dir),
            "--retry-base",
            "0.05",
            "--retry-max",
            "0.5",
        ],
        env,
        workdir / "gateway.log",
        f"http://127.0.0.1:{gw_port}/control/health",
    )
    try:
        gateway.start()
        server.start()
        yield server, gateway
    finally:
        server.stop()
        gateway.stop()


# --- the run ---------------------------------------------------------------------------


@dataclasses.dataclass
class CrashReport:
    orders: int
    delivered: int
    kills: int
    attempts: int
    repeated: int  # callbacks the gateway had to send more than once
    payments: int
    doubled: int
    lost: int
    wrong_amount: int
    totals: LedgerTotals
    seconds: float
    resent_answered: int = 0  # duplicate callbacks SafeGrid acknowledged (changing nothing)
    server_acks: int = 0  # callbacks answered ``success`` in all (first deliveries + repeats)

    @property
    def ok(self) -> bool:
        return (
            self.delivered == self.orders == self.payments
            and self.doubled == self.lost == self.wrong_amount == 0
            and self.totals.holds
        )


def create_orders(
    platform: Platform, numbers: list[str], orders: int, channel: SandboxChannel, rng: random.Random
) -> list[str]:
    made: list[str] = []
    for number in itertools.islice(itertools.cycle(numbers), orders):
        outcome = do_create_order(
            platform.uow(portal_actor(None)),
            account_no=number,
            amount=Decimal(rng.randint(100, 9000)).scaleb(-2),
            device_id=None,
            return_url="http://127.0.0.1/portal/pay/return",
            channel=channel,
        )
        assert outcome.status == "pay", outcome
        made.append(outcome.order_no)
    return made


def _pay_all(gateway_url: str, order_nos: list[str], batches: int, stop: threading.Event) -> None:
    """Pay the orders in batches spread over the kill window, so callbacks keep arriving."""
    size = max(len(order_nos) // batches, 1)
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        for start in range(0, len(order_nos), size):
            for no in order_nos[start : start + size]:
                client.post(f"/control/orders/{no}/pay").raise_for_status()
            if stop.wait(0.4):
                return


def _resend_repeats(gateway_url: str, stop: threading.Event, rng: random.Random) -> int:
    """The channel's duplicate callbacks: resend delivered ones again and again while the
    server is being killed. Returns how many SafeGrid answered ``success`` (each must change
    nothing)."""
    answered = 0
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        while not stop.wait(0.05):
            done = client.get("/control/deliveries", params={"delivered": "true"}).json()
            if not done:
                continue
            trade = rng.choice(done)["trade_no"]
            if client.post(f"/control/deliveries/{trade}/resend").json().get("body") == "success":
                answered += 1
    return answered


def _wait_delivered(gateway_url: str, stall: float = 45.0) -> None:
    """Until the gateway owes nothing; fails only when delivery stops making progress."""
    best, since = None, time.monotonic()
    while True:
        pending = int(httpx.get(f"{gateway_url}/control/health", timeout=10).json()["pending"])
        if pending == 0:
            return
        if best is None or pending < best:
            best, since = pending, time.monotonic()
        elif time.monotonic() - since > stall:
            stuck = httpx.get(
                f"{gateway_url}/control/deliveries", params={"delivered": "false"}, timeout=30
            ).json()
            raise RuntimeError(f"{pending} callbacks stuck for {stall} s, e.g. {stuck[:3]}")
        time.sleep(0.5)


def check(
    platform: Platform, deliveries: list[dict[str, Any]], kills: int, t0: float
) -> CrashReport:
    with platform.uow(SYSTEM, readonly=True) as uow:
        s = uow.session
        by_order = {
            row.order_no: row
            for row in s.execute(
                select(PaymentOrder.order_no, PaymentOrder.status, Payment.id, Payment.amount)
                .outerjoin(Payment, Payment.order_id == PaymentOrder.id)
                .where(PaymentOrder.order_no.in_([d["merchant_order_no"] for d in deliveries])),
                execution_options=unscoped("the crash check reads the whole ledger"),
            ).all()
        }
        per_order = dict(
            s.execute(
                select(Payment.order_id, func.count()).group_by(Payment.order_id),
                execution_options=unscoped("the crash check reads the whole ledger"),
            ).all()
        )
        online = s.scalar(
            select(func.count()).where(Payment.channel == PaymentChannel.ONLINE_SANDBOX),
            execution_options=unscoped("the crash check reads the whole ledger"),
        )
        totals = ledger_totals(s)
    lost = wrong = 0
    for d in deliveries:
        row = by_order.get(d["merchant_order_no"])
        if row is None or row.id is None or row.status != OrderStatus.PAID:
            lost += 1
        elif row.amount != Decimal(d["amount"]):
            wrong += 1
    return CrashReport(
        orders=len(deliveries),
        delivered=sum(1 for d in deliveries if d["delivered"]),
        kills=kills,
        attempts=sum(int(d["attempts"]) for d in deliveries),
        repeated=sum(1 for d in deliveries if int(d["attempts"]) > 1),
        payments=int(online or 0),
        doubled=sum(1 for n in per_order.values() if n > 1),
        lost=lost,
        wrong_amount=wrong,
        totals=totals,
        seconds=time.monotonic() - t0,
    )


def run(
    platform: Platform, workdir: Path, *, orders: int, accounts: int, kills: int, seed_: int = 7
) -> CrashReport:
    rng = random.Random(seed_)
    keys_dir = workdir / "payment-keys"
    keys.ensure_dev_keypair(keys_dir, keys.MERCHANT)
    keys.ensure_dev_keypair(keys_dir, keys.GATEWAY)
    print(f"seeding {accounts} accounts with open bills …")
    numbers = seed(platform, accounts, rng)
    with processes(platform.settings.database_url, workdir, keys_dir) as (server, gateway):
        gateway_url = gateway.health.removesuffix("/control/health")
        channel = SandboxChannel(
            ChannelSettings(keys_dir=keys_dir, gateway_url=gateway_url), "test"
        )
        print(f"creating {orders} online orders through SafeGrid's order service …")
        order_nos = create_orders(platform, numbers, orders, channel, rng)
        t0 = time.monotonic()
        stop = threading.Event()
        payer = threading.Thread(
            target=_pay_all, args=(gateway_url, order_nos, max(kills, 1) * 2, stop)
        )
        payer.start()
        repeats: list[int] = []
        resender = threading.Thread(
            target=lambda: repeats.append(
                _resend_repeats(gateway_url, stop, random.Random(seed_ + 1))
            )
        )
        resender.start()
        done = 0
        try:
            for done in range(1, kills + 1):
                # Soon after a restart the backlog of retried callbacks floods in: a kill
                # then lands in the middle of requests, some committed and not yet answered.
                time.sleep(rng.uniform(0.05, 0.8))
                server.kill()
                print(f"  SIGKILL #{done} of the server; restarting …")
                server.start()
            payer.join()
            _wait_delivered(gateway_url)
            # Acknowledged means in the durable inbox (ADR 0013): the server's applier
            # puts the last of them into the ledger (after a kill: the restarted one).
            inbox_applier.wait_applied(platform, timeout=120)
        finally:
            stop.set()
            payer.join()
            resender.join()
        deliveries = httpx.get(f"{gateway_url}/control/deliveries", timeout=30).json()
    report = check(platform, deliveries, done, t0)
    report.resent_answered = sum(repeats)
    report.server_acks = server.log.read_text().count(f'{NOTIFY_PATH} HTTP/1.1" 200')
    print(
        f"orders {report.orders}, delivered {report.delivered}, server SIGKILLs {report.kills}, "
        f"callback attempts {report.attempts} ({report.repeated} callbacks sent more than once)"
    )
    print(
        f"payments recorded {report.payments}: doubled {report.doubled}, lost {report.lost}, "
        f"wrong amount {report.wrong_amount}"
    )
    print(
        f"SafeGrid answered success {report.server_acks} times for {report.payments} "
        f"payments ({report.resent_answered} of them to deliberate duplicate callbacks)"
    )
    t = report.totals
    print(
        f"ledger: captured {t.captured} − given back {t.given_back} = written off "
        f"{t.written_off} + credit {t.credit}: {'holds' if t.holds else 'BROKEN'}"
    )
    print(f"{'OK' if report.ok else 'FAILED'} in {report.seconds:.1f} s")
    return report


def _fresh_platform(url: str) -> Platform:
    settings = Settings(
        env="test", database_url=url, secret_key=TEST_SECRET, scheduler_enabled=False
    )
    platform = Platform(settings)
    with platform.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    platform.migrate()
    return platform


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("SAFEGRID_DATABASE_URL"))
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--kills", type=int, default=8)
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgresql"):
        print("needs PostgreSQL: --database-url postgresql+psycopg://… (its tables are dropped)")
        return 2
    platform = _fresh_platform(args.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        report = run(
            platform, Path(tmp), orders=args.orders, accounts=args.accounts, kills=args.kills
        )
    platform.dispose()
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
