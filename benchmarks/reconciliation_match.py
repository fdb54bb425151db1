"""Monthly reconciliation matching (REC-2): N system transactions (counter-cash deposits,
each with its bank voucher) against their bank statement entries, with 1 % planted
differences, matched and colour-classified by ``matching.do_run_month`` — reading from and
writing to the database — against a baseline measured in the same run: a nested-loop
matcher over ORM objects (for each system group, scan the entries; one ORM insert per
conclusion) on a smaller month.

    .venv/bin/python benchmarks/reconciliation_match.py [--rows 1000000 --baseline 20000]
    SAFEGRID_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python benchmarks/reconciliation_match.py

SQLite in a scratch file by default; --database-url or SAFEGRID_DATABASE_URL (set by
with-postgres.sh) selects PostgreSQL (its public schema is emptied first).

Planted per 100 rows (1 %): 0.3 a fen-level amount difference (yellow), 0.3 a large one
(red), 0.2 a deposit the bank never shows (red), 0.2 a bank entry with no reference but the
same amount and day (found by amount + date); plus 0.1 % stray bank credits (red).
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select, text

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.counter.models import BankDeposit
from safegrid.platform import clock
from safegrid.reconciliation import cases, conclusions, matching, pairing, periods, three_way
from safegrid.reconciliation.models import (
    BankAccount,
    BankStatement,
    Colour,
    MatchItem,
    StatementEntry,
)
from safegrid.security.actor import Actor
from safegrid.security.models import StaffAccount
from safegrid.security.policy import Post

PERIOD = "2026-11"
CHUNK = 20_000
TARGET_SECONDS = 20.0
# Where a run's time goes: the steps of matching.do_run_month, timed by wrapping them.
PHASES: list[tuple[str, Any, str]] = [
    ("read kept decisions", conclusions, "read_stored"),
    ("read system side", matching, "_read_groups"),
    ("read bank side", matching, "_read_entries"),
    ("pair (rules 1-3)", pairing, "pair"),
    ("colour + reasons", conclusions, "conclude"),
    ("write items", conclusions, "save"),
    ("three-way check", three_way, "check"),
    ("open cases", cases, "open_for_red_items"),
]


@contextmanager
def timed_phases(cluster: ClusterCpu) -> Iterator[dict[str, list[float]]]:
    """Per phase, while inside: [wall, this process's CPU, the database server's CPU]
    seconds; the wrapped functions are restored after."""
    seconds: dict[str, list[float]] = {}

    def wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            at = (time.perf_counter(), time.process_time(), cluster.seconds())
            try:
                return fn(*args, **kwargs)
            finally:
                now = (time.perf_counter(), time.process_time(), cluster.seconds())
                spent = seconds.setdefault(label, [0.0, 0.0, 0.0])
                for i in range(3):
                    spent[i] += now[i] - at[i]

        return timed

    originals = [(module, name, getattr(module, name)) for _, module, name in PHASES]
    for (label, _, _), (module, name, fn) in zip(PHASES, originals, strict=True):
        setattr(module, name, wrap(label, fn))
    try:
        yield seconds
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


class ClusterCpu:
    """CPU seconds so far of the PostgreSQL cluster's processes (the postmaster's children:
    backends and background workers, read from /proc — the cluster runs on this machine);
    always 0 for SQLite, whose engine runs inside this process."""

    def __init__(self, platform: Platform) -> None:
        self.postmaster: int | None = None
        if not platform.settings.is_sqlite:
            with platform.engine.connect() as conn:
                backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            self.postmaster = int(_stat(backend)[1])

    def seconds(self) -> float:
        if self.postmaster is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = _stat(int(entry.name))
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.postmaster or int(entry.name) == self.postmaster:
                total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        return total


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, … (utime is [11], stime [12])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def measured_run(
    platform: Platform, cluster: ClusterCpu
) -> tuple[matching.RunResult, float, float, float]:
    """One run: wall seconds, this process's CPU seconds, the database server's."""
    server = cluster.seconds()
    cpu = time.process_time()
    started = time.perf_counter()
    result = matching.do_run_month(platform.uow(Actor.system("benchmark")), PERIOD)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return result, wall, cpu, cluster.seconds() - server


def print_phases(title: str, seconds: dict[str, list[float]], total: float) -> None:
    parts = ", ".join(
        "{} {:.2f}|{:.2f}|{:.2f}".format(label, *seconds.get(label, [0.0, 0.0, 0.0]))
        for label, _, _ in PHASES
    )
    rest = total - sum(s[0] for s in seconds.values())
    print(f"  {title} phases (wall|client CPU|server CPU s): {parts}; "
          f"counts + audit + commit {rest:.2f} wall")  # fmt: skip


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(platform: Platform, n: int, seed_no: int) -> dict[str, int]:
    rnd = random.Random(seed_no)
    now = datetime.now(UTC)
    first, _ = periods.bounds(PERIOD)
    planted = {"yellow": 0, "red_amount": 0, "missing_at_bank": 0, "no_reference": 0, "stray": 0}
    with platform.engine.begin() as conn:
        root = conn.execute(
            insert(cast(Table, OrgUnit.__table__)).returning(OrgUnit.__table__.c.id),
            {"code": "bench", "name": "基准", "name_en": "bench", "kind": UnitKind.PROVINCE.value,
             "parent_id": None, "path": "/bench/"},
        ).scalar_one()  # fmt: skip
        staff = [
            conn.execute(
                insert(cast(Table, StaffAccount.__table__)).returning(StaffAccount.__table__.c.id),
                {"username": f"bench{i}", "real_name": f"基准{i}", "post": Post.CASHIER.value,
                 "status": "active", "password_hash": "-", "password_changed_at": now,
                 "must_change_password": False, "totp_enrolled": False, "failed_logins": 0,
                 "created_at": now, "org_unit_id": root},
            ).scalar_one()
            for i in (1, 2)
        ]  # fmt: skip
        # One deposit per hall and day (a constraint of the counter): a hall per 30 rows.
        halls = [
            row[0]
            for batch in chunks(
                {"code": f"bench-h{k}", "name": f"营业厅{k}", "name_en": f"hall {k}",
                 "kind": UnitKind.HALL.value, "parent_id": root, "path": f"/bench/h{k}/"}
                for k in range(n // 30 + 1)
            )
            for row in conn.execute(
                insert(cast(Table, OrgUnit.__table__)).returning(OrgUnit.__table__.c.id), batch
            ).all()
        ]  # fmt: skip
        account = conn.execute(
            insert(cast(Table, BankAccount.__table__)).returning(BankAccount.__table__.c.id),
            {"account_no": "BENCH-1", "bank_name": "bench", "currency": "CNY", "org_unit_id": root,
             "created_at": now, "created_by": "bench"},
        ).scalar_one()  # fmt: skip
        statement = conn.execute(
            insert(cast(Table, BankStatement.__table__)).returning(BankStatement.__table__.c.id),
            {"bank_account_id": account, "statement_ref": "BENCH", "content_sha256": "0" * 64,
             "format": "bench", "filename": "bench", "currency": "CNY", "opening_balance": 0,
             "closing_balance": 0, "entry_count": n, "imported_at": now, "imported_by": "bench",
             "org_unit_id": root},
        ).scalar_one()  # fmt: skip

    deposits: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for i in range(n):
        day = first + timedelta(days=i % 30)
        amount = Decimal(rnd.randint(1_000, 5_000_000)) / 100
        voucher = f"V{i:09d}"
        at = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        deposits.append({
            "business_day": day, "amount": amount, "bank_voucher": voucher,
            "depositor_a_id": staff[0], "depositor_a_name": "a", "depositor_b_id": staff[1],
            "depositor_b_name": "b", "deposited_at": at, "deadline_at": at, "late": False,
            "recorded_by": "bench", "recorded_at": at, "org_unit_id": halls[i // 30],
        })  # fmt: skip
        r = rnd.random()
        bank_amount, reference = amount, voucher
        if r < 0.003:
            bank_amount -= Decimal("0.01")
            planted["yellow"] += 1
        elif r < 0.006:
            bank_amount -= (Decimal("7.00") + amount / 10).quantize(Decimal("0.01"))
            planted["red_amount"] += 1
        elif r < 0.008:
            planted["missing_at_bank"] += 1
            continue
        elif r < 0.010:
            reference = None
            planted["no_reference"] += 1
        entries.append(_entry(statement, account, root, len(entries), bank_amount, day, reference))
        if rnd.random() < 0.001:
            planted["stray"] += 1
            stray = Decimal(rnd.randint(100, 99_999)) / 100 + Decimal("0.07")
            entries.append(_entry(statement, account, root, len(entries), stray, day, f"X{i}"))
    with platform.engine.begin() as conn:
        for batch in chunks(iter(deposits)):
            conn.execute(insert(cast(Table, BankDeposit.__table__)), batch)
        for batch in chunks(iter(entries)):
            conn.execute(insert(cast(Table, StatementEntry.__table__)), batch)
    return planted


def _entry(
    statement: int, account: int, unit: int, pos: int, amount: Decimal, day: date, ref: str | None
) -> dict[str, Any]:
    return {
        "statement_id": statement, "bank_account_id": account, "org_unit_id": unit,
        "position": pos, "amount": amount, "currency": "CNY", "booking_date": day,
        "value_date": day, "reference": ref, "references_json": "{}",
    }  # fmt: skip


def nested_loop_orm(platform: Platform) -> int:
    """The baseline: objects in, a loop per system group over the entries, an ORM row out."""
    actor = Actor.system("benchmark")
    written = 0
    with platform.uow(actor) as uow:
        s = uow.session
        deposits = s.scalars(select(BankDeposit)).all()
        entries = list(s.scalars(select(StatementEntry)).all())
        used: set[int] = set()
        now = clock.now()
        for d in deposits:
            found = next(
                (e for e in entries if e.id not in used and e.reference == d.bank_voucher), None
            )
            rule = "reference"
            if found is None:
                rule = "amount_date"
                found = next(
                    (e for e in entries if e.id not in used and e.amount == d.amount
                     and abs((e.value_date - d.business_day).days) <= matching.WINDOW_DAYS),
                    None,
                )  # fmt: skip
            if found is None:
                colour, diff = Colour.RED, -d.amount
            else:
                used.add(found.id)
                diff = found.amount - d.amount
                colour = (
                    Colour.GREEN if diff == 0
                    else Colour.YELLOW if abs(diff) <= abs(d.amount) * matching.YELLOW_SHARE
                    else Colour.RED
                )  # fmt: skip
            s.add(MatchItem(
                period=PERIOD, item_key=f"sys:deposit:{d.bank_voucher}", colour=colour,
                rule=rule if found is not None else "missing_at_bank", system_kind="deposit",
                system_ref=d.bank_voucher, system_amount=d.amount, system_count=1,
                bank_entry_id=found.id if found else None, bank_amount=found.amount if found else None,
                difference=diff, day=d.business_day, reason=rule, run_at=now, org_unit_id=d.org_unit_id,
            ))  # fmt: skip
            s.flush()
            written += 1
        for e in entries:
            if e.id not in used:
                s.add(MatchItem(
                    period=PERIOD, item_key=f"bank:{e.id}", colour=Colour.RED,
                    rule="missing_in_system", system_count=0, bank_entry_id=e.id,
                    bank_amount=e.amount, difference=e.amount, day=e.value_date,
                    reason="missing", run_at=now, org_unit_id=e.org_unit_id,
                ))  # fmt: skip
                s.flush()
                written += 1
        uow.audit("benchmark.baseline", object_type="benchmark")
        uow.commit()
    return written


def fresh_platform(url: str) -> Platform:
    """An empty, migrated database (PostgreSQL: its public schema dropped first)."""
    platform = Platform(Settings(env="dev", database_url=url, scheduler_enabled=False))
    if not platform.settings.is_sqlite:
        with platform.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    platform.migrate()
    return platform


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--database-url", default=os.environ.get("SAFEGRID_DATABASE_URL"))
    args = parser.parse_args(argv)
    clock.set_clock(clock.FixedClock(datetime(2026, 12, 1, 2, 30, tzinfo=clock.BUSINESS_TZ)))
    url = args.database_url
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours = run_ours(url or f"sqlite:///{Path(tmp) / 'recon.db'}", args.rows)
            # PostgreSQL: the same database, its schema emptied; SQLite: a second file.
            postgres = url is not None and not url.startswith("sqlite")
            base = run_baseline(
                url if postgres else f"sqlite:///{Path(tmp) / 'base.db'}", args.baseline
            )
    finally:
        clock.set_clock(clock.SystemClock())
    ours_rate = args.rows / ours
    base_rate = args.baseline / base
    print(f"ratio set-based / baseline (transactions/s): {ours_rate / base_rate:8.1f}x")
    if args.rows >= 1_000_000:
        verdict = "met" if ours <= TARGET_SECONDS else "NOT met"
    else:
        verdict = "not judged below 1,000,000 transactions"
    print(f"target <= {TARGET_SECONDS} s for 1,000,000 on 2 cores: {verdict} ({ours:.1f} s)")
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    return {
        "seconds": ours,
        "rate": ours_rate,
        "baseline_rate": base_rate,
        "ratio": ours_rate / base_rate,
    }


def run_ours(url: str, rows: int) -> float:
    platform = fresh_platform(url)
    try:
        backend = "sqlite" if platform.settings.is_sqlite else "postgresql"
        planted = seed(platform, rows, 1)
        cluster = ClusterCpu(platform)
        with timed_phases(cluster) as phases:
            result, ours, ours_cpu, ours_server = measured_run(platform, cluster)
            load = os.getloadavg()
            first_phases = dict(phases)
            phases.clear()
            again, rerun, rerun_cpu, rerun_server = measured_run(platform, cluster)
    finally:
        platform.dispose()
    print(f"backend {backend}; {rows} system transactions, planted {planted}")
    print(f"set-based run:            {ours:8.2f} s  ({rows / ours:10.0f} transactions/s) "
          f"green {result.green} yellow {result.yellow} red {result.red}, "
          f"{result.cases_opened} cases; load average {load}")  # fmt: skip
    print_phases("first run", first_phases, ours)
    print(f"  first run CPU (s): this process {ours_cpu:.2f}, database server {ours_server:.2f}")
    print(f"re-run (idempotent):      {rerun:8.2f} s")
    print_phases("re-run", phases, rerun)
    print(
        f"  re-run CPU (s): this process {rerun_cpu:.2f}, database server {rerun_server:.2f}",
        flush=True,
    )
    assert (again.green, again.yellow, again.red) == (result.green, result.yellow, result.red)
    assert result.system_groups == rows, result
    assert result.yellow == planted["yellow"], (result, planted)
    red = planted["red_amount"] + planted["missing_at_bank"] + planted["stray"]
    assert result.red == red, (result, planted)
    return ours


def run_baseline(url: str, rows: int) -> float:
    platform = fresh_platform(url)
    try:
        seed(platform, rows, 2)
        started = time.perf_counter()
        items = nested_loop_orm(platform)
        base = time.perf_counter() - started
    finally:
        platform.dispose()
    print(
        f"baseline nested-loop ORM: {base:8.2f} s  ({rows / base:10.0f} transactions/s) "
        f"on {rows}, {items} items",
        flush=True,
    )
    return base


if __name__ == "__main__":
    main()
