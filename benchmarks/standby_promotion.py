"""OPS-4 hot standby: the promotion drill. Two local PostgreSQL clusters of its own — a
primary and a streaming-replication standby made by ``pg_basebackup -R``, synchronous
(``synchronous_standby_names``), so a commit is acknowledged only once the standby has it.
The application's one database URL names both servers with
``target_session_attrs=read-write`` (libpq picks the writable one), so it reconnects by
itself. A writer captures payments through the ledger's ``do_capture`` without pause; the
primary is killed (``pg_ctl stop -m immediate``: no clean shutdown), the standby promoted,
the writer carries on. Printed: RPO (acknowledged payments missing after promotion —
must be 0) and RTO (kill → first payment acknowledged by the promoted server), and the
promotion itself. Baseline in the same run: one payment's time before the kill.

Needs root or the postgres user's rights (PostgreSQL's programs run as ``postgres``).

    .venv/bin/python benchmarks/standby_promotion.py [--customers 40] [--after 50]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, text

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.customers.models import Account
from safegrid.demo.generator import generate
from safegrid.payments.ledger import services as ledger
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.secops.backup import pgcluster, wal
from safegrid.security.actor import Actor
from safegrid.security.scope import unscoped

ACTOR = Actor.system("standby-drill", "cli")


class Writer(threading.Thread):
    """Captures one payment after another; records which ones the database acknowledged."""

    def __init__(self, platform: Platform, accounts: list[int]) -> None:
        super().__init__(daemon=True)
        self.platform, self.accounts = platform, accounts
        self.acknowledged: list[tuple[str, float]] = []  # key, seconds it took
        self.ack_at: list[float] = []  # when each was acknowledged (perf_counter)
        self.in_doubt: list[str] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            key = f"standby-drill-{uuid.uuid4().hex}"
            account = self.accounts[n % len(self.accounts)]
            n += 1
            started = time.perf_counter()
            try:
                ledger.do_capture(
                    self.platform.uow(ACTOR),
                    account_id=account,
                    amount=Decimal("12.34"),
                    channel=PaymentChannel.ONLINE_SANDBOX,
                    idempotency_key=key,
                )
            except Exception:  # the drill counts every kind of failure
                # The commit's answer may have been lost: neither counted nor required.
                self.in_doubt.append(key)
                self.failures += 1
                time.sleep(0.05)  # the servers are changing over; do not spin
                continue
            self.ack_at.append(time.perf_counter())
            self.acknowledged.append((key, self.ack_at[-1] - started))


@dataclasses.dataclass(frozen=True)
class Drill:
    primary_port: int
    standby_port: int
    writes_to: int  # the server the application writes to after the promotion
    before: int  # payments acknowledged before the kill
    acknowledged: int
    lost: int  # acknowledged payments missing after promotion (the RPO; must be 0)
    in_doubt: int
    promote: float  # seconds pg_ctl promote took
    rto: float  # kill -> first payment acknowledged by the promoted server
    baseline: float  # one payment before the kill (median)


def run_drill(customers: int, before_s: float, after: int, timeout: float = 120) -> Drill:
    """Two clusters, a writer, the kill and the promotion; the clusters are gone after."""
    root = Path(tempfile.mkdtemp(prefix="sg-standby-"))
    root.chmod(0o755)
    wal.spool_dir(root / "backups")
    pgcluster.hand_over(root)
    bin_dir = pgcluster.pg_bin()
    primary, standby = root / "primary", root / "standby"
    port = pgcluster.archiving_primary(bin_dir, primary, wal.archive_command(root / "backups"))
    standby_port = pgcluster.free_port()
    writer: Writer | None = None
    try:
        pgcluster.run(
            bin_dir, "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "safegrid", "sg"
        )
        pgcluster.run(
            bin_dir,
            "pg_basebackup",
            "-D",
            str(standby),
            "-R",
            "-X",
            "stream",
            # Checkpoint now: the default spread checkpoint keeps an idle primary waiting
            # for minutes before the copy even starts.
            "-c",
            "fast",
            "-d",
            f"host=127.0.0.1 port={port} user=safegrid application_name=standby1",
        )
        pgcluster.start(bin_dir, standby, standby_port, "hot_standby=on")
        url = (
            f"postgresql+psycopg://safegrid@/sg?host=127.0.0.1:{port}"
            f"&host=127.0.0.1:{standby_port}&target_session_attrs=read-write"
        )
        platform = Platform(
            Settings(env="dev", database_url=url, scheduler_enabled=False, tmp_dir=root / "tmp")
        )
        platform.migrate()
        with platform.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ALTER SYSTEM SET synchronous_standby_names = 'standby1'"))
            conn.execute(text("SELECT pg_reload_conf()"))
        _wait_sync(platform)
        generate(platform, customers=customers, with_history=False)
        with platform.uow(ACTOR, readonly=True) as uow:
            accounts = list(
                uow.session.scalars(
                    select(Account.id),
                    execution_options=unscoped("the drill pays into every demo account"),
                )
            )
        writer = Writer(platform, accounts)
        writer.start()
        time.sleep(before_s)
        before = len(writer.acknowledged)
        baseline = statistics.median(t for _k, t in writer.acknowledged)
        killed = time.perf_counter()
        pgcluster.run(bin_dir, "pg_ctl", "-D", str(primary), "-m", "immediate", "-w", "stop")
        # A payment acknowledged while pg_ctl was still stopping came from the old primary;
        # only those acknowledged after it returned can come from the promoted server.
        stopped = time.perf_counter()
        pgcluster.run(bin_dir, "pg_ctl", "-D", str(standby), "-w", "-t", "120", "promote")
        promoted = time.perf_counter() - killed
        deadline = time.monotonic() + timeout
        while sum(at > stopped for at in writer.ack_at) < after:
            if time.monotonic() > deadline:
                raise pgcluster.ClusterError(
                    f"no {after} payments acknowledged within {timeout:.0f} s of the promotion "
                    f"({writer.failures} attempts failed)"
                )
            time.sleep(0.01)
        writer.stop.set()
        writer.join()
        rto = min(at for at in writer.ack_at if at > stopped) - killed
        keys = [k for k, _t in writer.acknowledged]
        with platform.uow(ACTOR, readonly=True) as uow:
            found = uow.session.scalar(
                select(func.count()).select_from(Payment).where(Payment.idempotency_key.in_(keys)),
                execution_options=unscoped("the drill counts its own payments"),
            )
            where = uow.session.execute(text("SELECT inet_server_port()")).scalar_one()
        platform.dispose()
    finally:
        if writer is not None:
            writer.stop.set()
            writer.join()
        pgcluster.stop(bin_dir, standby)
        pgcluster.stop(bin_dir, primary)
        shutil.rmtree(root, ignore_errors=True)
    return Drill(
        port, standby_port, int(where), before, len(keys), len(keys) - int(found or 0),
        len(writer.in_doubt), promoted, rto, baseline,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--before", type=float, default=3.0, help="seconds of writes before the kill")
    p.add_argument("--after", type=int, default=50, help="payments after the promotion")
    a = p.parse_args(argv)
    d = run_drill(a.customers, a.before, a.after)
    print(
        f"primary :{d.primary_port} killed (immediate) after {d.before} acknowledged payments; "
        f"standby :{d.standby_port} promoted in {d.promote:.2f} s; the app now writes to "
        f":{d.writes_to}"
    )
    print(
        f"RPO: {d.lost} of {d.acknowledged} acknowledged payments missing after promotion "
        f"({d.in_doubt} attempts failed during the change-over, none acknowledged)"
    )
    print(
        f"RTO: {d.rto:.2f} s from the kill to the first payment acknowledged by the promoted "
        f"server; {a.after} payments after promotion"
    )
    print(
        f"baseline: one payment {d.baseline * 1000:.1f} ms (median before the kill); "
        f"ratio RTO/payment {d.rto / d.baseline:.0f}"
    )
    if d.lost:
        raise SystemExit(1)
    return {"rto": d.rto, "rpo": float(d.lost), "promote": d.promote}


def _wait_sync(platform: Platform) -> None:
    for _ in range(200):
        with platform.engine.connect() as conn:
            state = conn.execute(text("SELECT sync_state FROM pg_stat_replication")).scalar()
        if state == "sync":
            return
        time.sleep(0.1)
    raise pgcluster.ClusterError("the standby never became synchronous")


if __name__ == "__main__":
    main()
