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


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--before", type=float, default=3.0, help="seconds of writes before the kill")
    p.add_argument("--after", type=int, default=50, help="payments after the promotion")
    a = p.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="sg-standby-"))
    root.chmod(0o755)
    wal.spool_dir(root / "backups")
    pgcluster.hand_over(root)
    bin_dir = pgcluster.pg_bin()
    primary, standby = root / "primary", root / "standby"
    port = pgcluster.archiving_primary(bin_dir, primary, wal.archive_command(root / "backups"))
    standby_port = pgcluster.free_port()
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
        generate(platform, customers=a.customers, with_history=False)
        with platform.uow(ACTOR, readonly=True) as uow:
            accounts = list(
                uow.session.scalars(
                    select(Account.id),
                    execution_options=unscoped("the drill pays into every demo account"),
                )
            )
        writer = Writer(platform, accounts)
        writer.start()
        time.sleep(a.before)
        before = len(writer.acknowledged)
        baseline = statistics.median(t for _k, t in writer.acknowledged)
        killed = time.perf_counter()
        pgcluster.run(bin_dir, "pg_ctl", "-D", str(primary), "-m", "immediate", "-w", "stop")
        pgcluster.run(bin_dir, "pg_ctl", "-D", str(standby), "-w", "-t", "120", "promote")
        promoted = time.perf_counter() - killed
        while len(writer.acknowledged) < before + a.after:
            time.sleep(0.01)
        writer.stop.set()
        writer.join()
        rto = writer.ack_at[before] - killed
        keys = [k for k, _t in writer.acknowledged]
        with platform.uow(ACTOR, readonly=True) as uow:
            found = uow.session.scalar(
                select(func.count()).select_from(Payment).where(Payment.idempotency_key.in_(keys)),
                execution_options=unscoped("the drill counts its own payments"),
            )
            where = uow.session.execute(text("SELECT inet_server_port()")).scalar_one()
        platform.dispose()
    finally:
        pgcluster.stop(bin_dir, standby)
        pgcluster.stop(bin_dir, primary)
        shutil.rmtree(root, ignore_errors=True)
    lost = len(keys) - int(found or 0)
    print(
        f"primary :{port} killed (immediate) after {before} acknowledged payments; standby "
        f":{standby_port} promoted in {promoted:.2f} s; the app now writes to :{where}"
    )
    print(
        f"RPO: {lost} of {len(keys)} acknowledged payments missing after promotion "
        f"({len(writer.in_doubt)} attempts failed during the change-over, none acknowledged)"
    )
    print(
        f"RTO: {rto:.2f} s from the kill to the first payment acknowledged by the promoted "
        f"server; {a.after} payments after promotion"
    )
    print(
        f"baseline: one payment {baseline * 1000:.1f} ms (median before the kill); "
        f"ratio RTO/payment {rto / baseline:.0f}"
    )
    if lost:
        raise SystemExit(1)
    return {"rto": rto, "rpo": float(lost), "promote": promoted}


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
