"""End-to-end signed payment callbacks over HTTP (PAY-6, PAY-7; target in the funds issue:
≥ 1,500 callbacks/s sustained on 2 cores with 0 errors, PostgreSQL).

Builds accounts with open bills and created online orders in a scratch database, starts
the real SafeGrid server (``safegrid serve``: uvicorn workers plus the callback inbox's
applier process) as its own process, signs one RSA2 callback per order with the sandbox
gateway's key (before the clock starts), then POSTs them over many keep-alive connections
and counts the answers: each must be exactly ``success``, said only once the callback is
committed to the durable inbox (signature → order → amount checked first; ADR 0013).

Two figures: **acknowledged/s** — callbacks durably recorded in PostgreSQL, what the
channel sees — and **applied/s** — from the first request until the last acknowledged
payment is in the ledger (capture, write-off, risk history, audit), the rate a load
could keep up for ever on this machine. Afterwards it checks every order is paid exactly
once and that repeats of a sample answer ``success`` without a second payment.

Baseline, same run: the same kind of callbacks sent one at a time on one connection
(what a naive channel integration does). ``--modes 64,1`` also measures other batch sizes
of the inbox's door in the same run (``1`` = one transaction per callback). There is one
route to the ledger (the inbox and its applier); the modes that acknowledged after the
capture (ADR 0010 without the inbox) are gone with their settings.

Durability is not traded for speed: the server's sessions run with
``synchronous_commit=on``, and the run prints what was in force (``scripts/with-postgres.sh``
starts its throwaway cluster with ``fsync=off`` unless ``SAFEGRID_PG_DURABLE=1``), plus
the load average (the figure means little on a machine busy with other work).

    SAFEGRID_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python benchmarks/callbacks_e2e.py \
        [--callbacks 30000] [--baseline 300] [--workers 2] [--concurrency 64] [--modes 64,1]

Without SAFEGRID_DATABASE_URL it runs on a scratch SQLite file (a smoke run, not the figure).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, func, insert, select, text

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.ledger.models import Payment
from safegrid.payments.online import keys, signing
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.payments.online.models import OrderStatus, PaymentOrder
from safegrid.platform import clock
from safegrid.security.actor import Actor

NOTIFY = "/api/payments/online/callbacks/sandbox"
MERCHANT = "safegrid-dev"


@dataclass
class Result:
    sent: int
    ok: int
    errors: int
    seconds: float
    # From the first request until the last acknowledged callback was in the ledger.
    applied_seconds: float = 0.0
    # CPU seconds over that time: server workers, inbox applier, PostgreSQL.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def applied_rate(self) -> float:
        return self.ok / self.applied_seconds if self.applied_seconds else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_platform(url: str) -> Platform:
    settings = Settings(
        env="test",
        database_url=url,
        secret_key="benchmark-secret-key-not-for-production",
        scheduler_enabled=False,
    )
    p = Platform(settings)
    if not settings.is_sqlite:
        with p.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    p.migrate()
    return p


DURABLE = ("fsync", "full_page_writes", "synchronous_commit")
SYNC_COMMIT = "options=-csynchronous_commit%3Don"


def durable_url(url: str) -> str:
    """The server's sessions commit synchronously whatever the cluster's default."""
    if url.startswith("sqlite"):
        return url
    return f"{url}{'&' if '?' in url else '?'}{SYNC_COMMIT}"


def durability(url: str) -> str:
    """What is in force for the server's sessions, for the report: with ``fsync=off`` (as
    ``scripts/with-postgres.sh`` starts its throwaway cluster) a commit never waits for
    the disk, so the figure is not a durable one."""
    if url.startswith("sqlite"):
        return "sqlite"
    engine = create_engine(durable_url(url))
    try:
        with engine.connect() as conn:
            shown = [f"{n}={conn.execute(text(f'SHOW {n}')).scalar_one()}" for n in DURABLE]
    finally:
        engine.dispose()
    durable = all(s.endswith("=on") for s in shown)
    return f"{' '.join(shown)} ({'durable' if durable else 'NOT durable: fsync off'})"


def _procs() -> dict[int, tuple[int, float, str]]:
    """pid → (parent pid, CPU seconds so far, command line) of every live process."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[int, float, str]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            cmd = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, cmd)
    return out


def cpu_seconds(server_pid: int, platform: Platform) -> dict[str, float]:
    """CPU used so far by the server's workers, its inbox applier and the database's
    processes (live ones; other engineers' load on the machine is not counted)."""
    procs = _procs()
    found = {"server": 0.0, "applier": 0.0, "postgres": 0.0}
    todo = [server_pid]
    while todo:
        pid = todo.pop()
        if pid in procs:
            _, cpu, cmd = procs[pid]
            found["applier" if "inbox apply" in cmd else "server"] += cpu
            todo.extend(c for c, (ppid, _, _) in procs.items() if ppid == pid)
    if platform.engine.dialect.name == "postgresql":
        with platform.engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        postmaster = procs.get(backend, (0, 0.0, ""))[0]
        found["postgres"] = sum(
            cpu for pid, (ppid, cpu, _) in procs.items() if postmaster in (pid, ppid)
        )
    return found


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def seed(platform: Platform, accounts: int, orders: int) -> list[tuple[str, str]]:
    """``accounts`` accounts with a 100-yuan bill each and ``orders`` created orders spread
    over them; returns (order_no, amount)."""
    # The tests' archive helpers (customer, meter, account, bill through the real services).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtures.bills import Bills
    from tests.fixtures.world import World

    system = Actor.system("benchmark")
    with platform.uow(system) as uow:
        prov = OrgUnit(
            code="bprov", name="浙江省", name_en="prov", kind=UnitKind.PROVINCE, path="x"
        )
        uow.session.add(prov)
        uow.session.flush()
        prov.path = f"/{prov.id}/"
        station = OrgUnit(
            code="bst",
            name="富春供电所",
            name_en="st",
            kind=UnitKind.STATION,
            parent_id=prov.id,
            path="y",
        )
        uow.session.add(station)
        uow.session.flush()
        station.path = f"{prov.path}{station.id}/"
        uow.audit("org.seed", object_type="org_unit")
        uow.commit()
        units = {"prov": prov.id, "stationA": station.id}
        paths = {"prov": prov.path, "stationA": station.path}
    bills = Bills(World(platform, units, paths))
    account_ids = []
    for _ in range(accounts):
        account_id = bills.account("stationA")
        bills.bill(account_id, "100.00")
        account_ids.append(account_id)
    now = clock.now()
    rows = []
    out = []
    for i in range(orders):
        no = f"OLB{i:012d}"
        amount = Decimal("30.00") + Decimal(i % 50)
        rows.append(
            {
                "order_no": no,
                "account_id": account_ids[i % accounts],
                "channel": "sandbox",
                "amount": amount,
                "status": OrderStatus.CREATED,
                "business_day": clock.business_day(now),
                "step_up_pending": False,
                "created_at": now,
                "expires_at": now + timedelta(days=1),
                "org_unit_id": units["stationA"],
            }
        )
        out.append((no, f"{amount:.2f}"))
    with platform.engine.begin() as conn:
        conn.execute(insert(PaymentOrder), rows)
    return out


def sign_all(orders: list[tuple[str, str]], keys_dir: Path) -> list[dict[str, str]]:
    key = keys.ensure_dev_keypair(keys_dir, keys.GATEWAY)
    return [
        signing.signed(
            {
                "merchant_id": MERCHANT,
                "merchant_order_no": no,
                "trade_no": f"SBXB{i:016d}",
                "amount": amount,
                "trade_status": "TRADE_SUCCESS",
                "paid_at": "2026-03-02T02:00:00+00:00",
                "notify_id": f"n{i}",
            },
            key,
        )
        for i, (no, amount) in enumerate(orders)
    ]


SERVER_PID: dict[str, int] = {}


@contextlib.contextmanager
def server(url: str, keys_dir: Path, workers: int, log: Path, mode: str = "64") -> Iterator[str]:
    batch_max = mode
    port = _free_port()
    env = {
        **os.environ,
        "SAFEGRID_DATABASE_URL": durable_url(url),
        "SAFEGRID_ENV": "dev",
        "SAFEGRID_SCHEDULER_ENABLED": "false",
        "SAFEGRID_PAY_KEYS_DIR": str(keys_dir),
        "SAFEGRID_PAY_CALLBACK_BATCH_MAX": batch_max,
    }
    cli = Path(sys.executable).with_name("safegrid")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(cli), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy:\n{log.read_text()}")
            time.sleep(0.2)
        SERVER_PID[base] = proc.pid
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def encode(form: dict[str, str]) -> bytes:
    """One callback as the bytes of an HTTP/1.1 POST (built before the clock starts)."""
    body = urlencode(form).encode()
    head = (
        f"POST {NOTIFY} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    host: str, port: int, todo: list[bytes], answers: list[tuple[int, bytes]]
) -> None:
    """One keep-alive connection sending requests one after the other (as a channel's
    notifier does). A lean client on purpose: on a 2-core machine the load generator
    shares the CPU with the server, and httpx costs about as much per request as the
    server's whole callback path (it capped the first measurements at ~240/s)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while todo:
            writer.write(todo.pop())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            answers.append((int(head[9:12]), await reader.readexactly(length)))
    finally:
        writer.close()


async def _blast(base: str, forms: list[dict[str, str]], concurrency: int) -> Result:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    todo = [encode(f) for f in reversed(forms)]
    answers: list[tuple[int, bytes]] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(_connection(host, int(port), todo, answers) for _ in range(concurrency)),
        return_exceptions=False,
    )
    seconds = time.perf_counter() - start
    ok = sum(1 for status, body in answers if status == 200 and body == b"success")
    bad = [f"{status} {body[:200]!r}" for status, body in answers if body != b"success"]
    if bad:
        print(f"  first error: {bad[0]}")
    return Result(len(forms), ok, len(forms) - ok, seconds)


def blast(base: str, forms: list[dict[str, str]], concurrency: int) -> Result:
    return asyncio.run(_blast(base, forms, concurrency))


def run(
    url: str,
    *,
    callbacks: int,
    baseline: int,
    workers: int,
    concurrency: int,
    accounts: int,
    modes: tuple[str, ...] = ("64",),
    report: dict[str, Result] | None = None,
) -> tuple[Result, Result, int]:
    """Returns (concurrent with the first batch size, sequential baseline, payments
    recorded); ``report`` gets the concurrent result of every batch size."""
    work = Path(tempfile.mkdtemp(prefix="sg-callbacks-"))
    keys_dir = work / "keys"
    platform = scratch_platform(url)
    try:
        print(f"durability: {durability(url)}")
        orders = seed(platform, accounts, callbacks * len(modes) + baseline)
        forms = sign_all(orders, keys_dir)
        keys.ensure_dev_keypair(keys_dir, keys.MERCHANT)
        results: dict[str, Result] = {}
        base_res = Result(0, 0, 0, 0.0)
        extra = forms[callbacks * len(modes) :]
        for n, batch_max in enumerate(modes):
            mine = forms[callbacks * n : callbacks * (n + 1)]
            log_file = work / f"server-{batch_max.replace(':', '-')}.log"
            with server(url, keys_dir, workers, log_file, batch_max) as base:
                if n == 0:
                    blast(base, extra[: min(baseline, 20)], 4)  # warm-up
                    base_res = blast(base, extra[min(baseline, 20) :], 1)
                    inbox_applier.wait_applied(platform, timeout=600)
                else:
                    blast(base, mine[:20], 4)  # warm-up (counted as paid below)
                    mine = mine[20:]
                print(f"  batch max {batch_max}: {load()} before")
                cpu0 = cpu_seconds(SERVER_PID[base], platform)
                t0 = time.perf_counter()
                res = blast(base, mine, concurrency)
                inbox_applier.wait_applied(platform, timeout=600)
                res.applied_seconds = time.perf_counter() - t0
                cpu1 = cpu_seconds(SERVER_PID[base], platform)
                res.cpu = {k: cpu1[k] - cpu0[k] for k in cpu1}
                results[batch_max] = res
                print(f"  batch max {batch_max}: {load()} after")
                # Repeats of a sample: acknowledged again, nothing recorded twice (PAY-7).
                repeat = blast(base, mine[: min(50, len(mine))], 8)
                assert repeat.errors == 0, "a repeated callback was not acknowledged"
                inbox_applier.wait_applied(platform, timeout=600)
        with platform.engine.connect() as conn:
            payments = int(conn.execute(select(func.count()).select_from(Payment)).scalar_one())
            paid = int(
                conn.execute(
                    select(func.count())
                    .select_from(PaymentOrder)
                    .where(PaymentOrder.status == OrderStatus.PAID)
                ).scalar_one()
            )
        assert payments == paid, f"{payments} payments for {paid} paid orders"
        if report is not None:
            report.update(results)
        return results[modes[0]], base_res, payments
    finally:
        platform.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callbacks", type=int, default=6000)
    parser.add_argument("--baseline", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument(
        "--modes",
        default="64",
        help="the door's batch sizes to measure, e.g. 64,16,1 (first: the figure)",
    )
    args = parser.parse_args()
    modes = tuple(m.strip() for m in args.modes.split(","))
    url = os.environ.get("SAFEGRID_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='sg-cb-')}/bench.db"
        print("SAFEGRID_DATABASE_URL not set: SQLite smoke run (use scripts/with-postgres.sh)")
    print(
        f"callbacks={args.callbacks} workers={args.workers} concurrency={args.concurrency} "
        f"accounts={args.accounts} cores={os.cpu_count()} db={url.split(':')[0]} "
        f"batch sizes={modes}; {load()}"
    )
    report: dict[str, Result] = {}
    main_res, base_res, payments = run(
        url,
        callbacks=args.callbacks,
        baseline=args.baseline,
        workers=args.workers,
        concurrency=args.concurrency,
        accounts=args.accounts,
        modes=modes,
        report=report,
    )
    for batch_max, res in report.items():
        print(
            f"mode {batch_max}: {res.ok}/{res.sent} acknowledged, {res.errors} errors, "
            f"{res.rate:,.1f} callbacks/s acknowledged; all in the ledger after "
            f"{res.applied_seconds:.2f} s = {res.applied_rate:,.1f} callbacks/s applied; "
            + ", ".join(f"{k} {v:.1f}" for k, v in res.cpu.items())
            + f" CPU s ({sum(res.cpu.values()) / max(res.ok, 1) * 1000:.2f} ms per callback)"
        )
    print(
        f"baseline (one connection, sequential): {base_res.ok}/{base_res.sent} ok, "
        f"{base_res.rate:,.0f} callbacks/s"
    )
    print(
        f"concurrent ({args.concurrency} connections, mode {modes[0]}): "
        f"{main_res.ok}/{main_res.sent} ok, "
        f"{main_res.errors} errors, {main_res.seconds:.2f} s → {main_res.rate:,.0f} callbacks/s "
        f"acknowledged (durably recorded) sustained; the ledger applied "
        f"{main_res.applied_rate:,.0f}/s (last payment in it "
        f"{main_res.applied_seconds - main_res.seconds:.1f} s after the last answer)"
    )
    ratio = main_res.rate / base_res.rate if base_res.rate else float("nan")
    met = main_res.rate >= 1500 and main_res.errors == 0
    print(
        f"ratio concurrent/sequential: {ratio:.2f}x; goal ≥ 1,500/s acknowledged with 0 "
        f"errors: {'met' if met else 'NOT met'}"
    )
    print(f"payments recorded: {payments} (each paid order exactly once)")


if __name__ == "__main__":
    main()
