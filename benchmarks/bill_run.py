"""Bill run throughput (BILL-4; targets in the billing issue: 1,000,000 residential accounts
billed in ≤ 60 s on the embedded store, ≥ 50× a row-by-row ORM run measured in the same run).

Builds a scratch utility with the driver, not the services: a province of 10 counties,
N + B residential accounts (30 % time-of-use meters) each with a customer, supply point
and meter, the October 2026 usage of every meter (period closed) and the earlier 2026
bills of every account, so tier 2 and 3 are crossed (``--prior-months`` bills per account
hold the January–September kWh). Then, in one run:

* baseline: B accounts of one county billed row by row through the ORM — per account a
  query of its usage, of its bills, of its kWh earlier in the year, ``calculate``, a Bill
  and its lines added and flushed;
* the real run, ``safegrid.billing.services.do_run_bills``, over the whole province as a
  province-level actor (the B accounts already billed are skipped): N bills.

Prints bills/s of both, the ratio and the wall time, and recomputes a sample of the run's
bills with ``calculate`` to show they are right to the fen.

    .venv/bin/python benchmarks/bill_run.py [--accounts 1000000] [--baseline-accounts 20000]
        [--prior-months 1] [--database-url URL]   # URL: its tables are dropped first!
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select, text

from safegrid.billing.bulk_store import BulkWriter
from safegrid.billing.models import Bill, BillKind, BillLine, BillStatus
from safegrid.billing.periods import first_day, shift, tier_period_start
from safegrid.billing.run_writer import bill_number
from safegrid.billing.services import do_run_bills
from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.customers.models import Account, Customer, Meter, ReadingArea, SupplyPoint
from safegrid.org.models import OrgUnit
from safegrid.readings.models import MonthlyUsage, ReadingPeriod
from safegrid.security.actor import Actor
from safegrid.security.policy import Perm
from safegrid.security.scope import Scope
from safegrid.tariffs.calculation import calculate
from safegrid.tariffs.models import MeterKind
from safegrid.tariffs.repository import TariffRepository
from safegrid.tariffs.seed import do_seed_standard_tariffs

print = functools.partial(print, flush=True)  # progress shows as it happens
PERIOD = "2026-10"
COUNTIES = 10
CHUNK = 100_000
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def platform_for(url: str | None, workdir: Path) -> Platform:
    platform = Platform(Settings(env="dev", database_url=url or f"sqlite:///{workdir / 'bill.db'}"))
    if not platform.settings.is_sqlite:
        with platform.engine.begin() as conn:  # a throwaway database: start from nothing
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    platform.migrate()
    return platform


def _actor(name: str, path: str, unit: int) -> Actor:
    return Actor(None, name, name, None, unit, frozenset(Perm), Scope.subtree(path), "cli")


def _insert(
    writer: BulkWriter, model: Any, rows: list[tuple[Any, ...]], cols: tuple[str, ...]
) -> None:
    for i in range(0, len(rows), CHUNK):
        writer.insert(model.__table__, cols, rows[i : i + CHUNK])


def build_utility(platform: Platform, baseline: int, accounts: int, prior_months: int,
                  seed: int = 10) -> None:  # fmt: skip
    """Accounts 1…baseline in county 0 (the baseline's), the others spread over the rest."""
    rng = np.random.default_rng(seed)
    total = baseline + accounts
    ids = np.arange(1, total + 1)
    county = np.where(ids <= baseline, 0, 1 + (ids - baseline - 1) % (COUNTIES - 1))
    tou = rng.random(total) < 0.30
    monthly_c = np.rint(rng.lognormal(5.35, 0.45, total) * 100).astype(np.int64)  # ≈ 210 kWh
    prior_c = np.rint(monthly_c * 9 * rng.uniform(0.6, 2.4, total)).astype(np.int64)
    peak_c = np.rint(monthly_c * rng.uniform(0.5, 0.75, total)).astype(np.int64)
    with platform.engine.begin() as conn:
        w = BulkWriter(conn)
        units = [(1, "zj", "浙江省", "Zhejiang", "province", None, "/1/")] + [
            (2 + c, f"c{c}", f"县{c}", f"County {c}", "county", 1, f"/1/{2 + c}/")
            for c in range(COUNTIES)
        ]
        _insert(w, OrgUnit, units, ("id", "code", "name", "name_en", "kind", "parent_id", "path"))
        _insert(w, ReadingArea, [(c + 1, f"RA{c}", f"区段{c}", 2 + c) for c in range(COUNTIES)],
                ("id", "code", "name", "org_unit_id"))  # fmt: skip
        unit = (county + 2).tolist()
        now = w.bind(Customer.__table__.c.created_at, NOW)
        opened = w.bind(Account.__table__.c.opened_on, date(2015, 1, 1))
        address = "浙江省杭州市富阳区富春街道江滨西路1号"
        for lo in range(0, total, CHUNK):
            part = slice(lo, min(lo + CHUNK, total))
            i_s, u_s = ids[part].tolist(), unit[part]
            w.insert(Customer.__table__, ("id", "number", "kind", "name", "address", "status",
                     "is_key_customer", "created_at", "updated_at", "org_unit_id"),
                     [(i, f"K{i:010d}", "resident", f"用户{i}", address, "active", False, now, now, u)
                      for i, u in zip(i_s, u_s, strict=True)])  # fmt: skip
            w.insert(Account.__table__, ("id", "number", "customer_id", "tariff_category", "status",
                     "opened_on", "org_unit_id"),
                     [(i, f"A{i:010d}", i, "residential", "active", opened, u)
                      for i, u in zip(i_s, u_s, strict=True)])  # fmt: skip
            w.insert(SupplyPoint.__table__, ("id", "account_id", "address", "voltage_kv",
                     "capacity_kva", "org_unit_id"),
                     [(i, i, address, 0.22, 8, u) for i, u in zip(i_s, u_s, strict=True)])  # fmt: skip
            w.insert(Meter.__table__, ("id", "asset_no", "supply_point_id", "reading_area_id",
                     "model", "multiplier", "is_tou", "latitude", "longitude", "installed_on",
                     "status", "org_unit_id"),
                     [(i, f"M{i:010d}", i, u - 1, "DDZY71", 1, t, 30.05, 119.95, opened, "active", u)
                      for i, u, t in zip(i_s, u_s, tou[part].tolist(), strict=True)])  # fmt: skip
            kwh = w.decimal_column(monthly_c[part], 100)
            peak = w.decimal_column(peak_c[part], 100)
            valley = w.decimal_column(monthly_c[part] - peak_c[part], 100)
            w.insert(MonthlyUsage.__table__, ("id", "meter_id", "account_id", "period", "kwh",
                     "peak_kwh", "valley_kwh", "estimated", "source", "org_unit_id"),
                     [(i, i, i, PERIOD, k, p if t else None, v if t else None, False, "ami", u)
                      for i, u, k, p, v, t in zip(i_s, u_s, kwh, peak, valley, tou[part].tolist(),
                                                  strict=True)])  # fmt: skip
        # Earlier bills of the tier year: the prior kWh split evenly over the last months.
        issued = w.bind(Bill.__table__.c.issued_at, NOW)
        due = w.bind(Bill.__table__.c.due_date, date(2026, 10, 15))
        bill_id = 0
        for m in range(prior_months):
            period = shift(PERIOD, m - prior_months)
            share = prior_c // prior_months + (prior_c % prior_months if m == 0 else 0)
            amount = w.decimal_column(share * 6 // 10000, 100)  # roughly 0.6 yuan/kWh; unused
            kwh = w.decimal_column(share, 100)
            rows = []
            for i, u, k, a in zip(ids.tolist(), unit, kwh, amount, strict=True):
                bill_id += 1
                rows.append((bill_id, f"P{bill_id:012d}", i, period, "normal", 0, "issued", k, a,
                             issued, due, u))  # fmt: skip
            _insert(w, Bill, rows, ("id", "number", "account_id", "period", "kind", "sequence",
                    "status", "kwh", "amount", "issued_at", "due_date", "org_unit_id"))  # fmt: skip
        conn.execute(ReadingPeriod.__table__.insert().values(period=PERIOD, status="closed"))
        w.close()
        if w.postgres:  # rows came with their ids: move the sequences past them
            for model in (OrgUnit, ReadingArea, Customer, Account, SupplyPoint, Meter,
                          MonthlyUsage, Bill):  # fmt: skip
                table = model.__tablename__
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                conn.execute(text(sql))
    do_seed_standard_tariffs(platform.uow(Actor.system("bench", "cli")))
    # Planner statistics, as any production database has them: without them SQLite reads
    # an account's usage through the period index, and the baseline would look worse than
    # a straightforward implementation is.
    with platform.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def baseline_run(platform: Platform, county: int) -> tuple[int, float]:
    """Row by row through the ORM, as a first implementation would bill."""
    actor = _actor("bench-county", f"/1/{county}/", county)
    started = time.perf_counter()
    created = 0
    with platform.uow(actor) as uow:
        s = uow.session
        priced = {
            (t.category.value, t.meter_kind): (t, v)
            for t, v in TariffRepository(uow).effective_on(first_day(PERIOD))
        }
        account_ids = s.scalars(
            select(MonthlyUsage.account_id).where(MonthlyUsage.period == PERIOD).distinct()
        ).all()
        for account_id in account_ids:
            account = s.get(Account, account_id)
            assert account is not None
            usage = s.scalars(
                select(MonthlyUsage).where(
                    MonthlyUsage.account_id == account_id, MonthlyUsage.period == PERIOD
                )
            ).all()
            billed = s.scalar(
                select(Bill.id).where(Bill.account_id == account_id, Bill.period == PERIOD,
                                      Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)
            )  # fmt: skip
            if billed is not None:
                continue
            tou = any(u.peak_kwh is not None for u in usage)
            tariff, version = priced.get((account.tariff_category, MeterKind.TOU)) if tou and (
                account.tariff_category, MeterKind.TOU) in priced else priced[
                (account.tariff_category, MeterKind.STANDARD)]  # fmt: skip
            start = tier_period_start(
                PERIOD, version.threshold_period, version.tier_year_start_month
            )
            prior = s.scalar(
                select(func.sum(Bill.kwh)).where(
                    Bill.account_id == account_id, Bill.kind == BillKind.NORMAL,
                    Bill.status == BillStatus.ISSUED, Bill.period >= start, Bill.period < PERIOD)
            ) or Decimal(0)  # fmt: skip
            kwh = sum((u.kwh for u in usage), Decimal(0))
            peak = sum((u.peak_kwh or 0 for u in usage), Decimal(0)) if tou else None
            valley = sum((u.valley_kwh or 0 for u in usage), Decimal(0)) if tou else None
            charge = calculate(version.terms(tariff.structure), kwh, peak, valley, Decimal(prior))
            bill = Bill(number=f"TMP{account_id}", account_id=account_id, period=PERIOD,
                        kind=BillKind.NORMAL, sequence=0, status=BillStatus.ISSUED, kwh=kwh,
                        amount=charge.amount, tier_prior_kwh=Decimal(prior),
                        tariff_version_id=version.id, issued_at=NOW, due_date=date(2026, 11, 17),
                        org_unit_id=account.org_unit_id)  # fmt: skip
            s.add(bill)
            s.flush()
            bill.number = bill_number(BillKind.NORMAL, PERIOD, bill.id)
            s.add_all(BillLine(bill_id=bill.id, line_no=n, kind=line.kind.value,
                               description=line.kind.value, kwh=line.kwh, price=line.price,
                               amount=line.amount)
                      for n, line in enumerate(charge.lines, start=1))  # fmt: skip
            s.flush()
            created += 1
        uow.audit("billing.baseline_run", object_type="bill_run", note=f"{created} bills")
        uow.commit()
    return created, time.perf_counter() - started


def verify_sample(platform: Platform, run_id: int, n: int = 2000) -> int:
    """Recompute a sample of the run's bills with ``calculate``; returns how many agree."""
    system = Actor.system("bench-verify", "cli")
    with platform.uow(system, readonly=True) as uow:
        s = uow.session
        bills = s.scalars(
            select(Bill).where(Bill.run_id == run_id).order_by(Bill.id).limit(n)
        ).all()
        versions = {v.id: (t, v) for t, v in TariffRepository(uow).effective_on(first_day(PERIOD))}
        ok = 0
        for bill in bills:
            usage = s.scalars(select(MonthlyUsage).where(MonthlyUsage.account_id == bill.account_id,
                                                        MonthlyUsage.period == PERIOD)).one()  # fmt: skip
            tariff, version = versions[bill.tariff_version_id or 0]
            charge = calculate(version.terms(tariff.structure), usage.kwh, usage.peak_kwh,
                               usage.valley_kwh, bill.tier_prior_kwh or Decimal(0))  # fmt: skip
            ok += charge.amount == bill.amount
        return ok


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=1_000_000, help="bills of the real run")
    ap.add_argument("--baseline-accounts", type=int, default=20_000)
    ap.add_argument("--prior-months", type=int, default=1, help="earlier bills per account")
    ap.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        platform = platform_for(args.database_url, Path(tmp))
        t0 = time.perf_counter()
        build_utility(platform, args.baseline_accounts, args.accounts, args.prior_months)
        print(f"{platform.engine.dialect.name}: built {args.baseline_accounts + args.accounts:,} "
              f"accounts, {args.prior_months} earlier bill(s) each, in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip

        base_bills, base_s = baseline_run(platform, 2)
        base_rate = base_bills / base_s
        print(f"baseline  row-by-row ORM: {base_bills:>9,} bills in {base_s:7.2f} s = "
              f"{base_rate:>10,.0f} bills/s")  # fmt: skip

        marks: dict[str, float] = {}

        def progress(phase: str, done: int, total_: int) -> None:
            if done == total_:
                marks[phase] = time.perf_counter()

        province = _actor("bench-province", "/1/", 1)
        started = time.perf_counter()
        run = do_run_bills(platform.uow(province), PERIOD, progress=progress)
        run_s = time.perf_counter() - started
        rate = run.bills_created / run_s
        phases = " ".join(
            f"{k}={marks[k] - started:.1f}s" for k in ("load", "compute", "write") if k in marks
        )
        print(f"set-based bill run:       {run.bills_created:>9,} bills in {run_s:7.2f} s = "
              f"{rate:>10,.0f} bills/s ({run.skipped:,} already billed skipped; cumulative {phases})")  # fmt: skip
        ratio = rate / base_rate
        print(f"ratio {ratio:,.0f}× (goal ≥ 50×); wall time {run_s:.1f} s for "
              f"{run.bills_created:,} bills (goal ≤ 60 s for 1,000,000)")  # fmt: skip
        sample = min(2000, run.bills_created)
        agree = verify_sample(platform, run.id, sample)
        print(f"check: {agree}/{sample} sampled bills equal calculate() to the fen; "
              f"run total ¥{run.total_amount:,}")  # fmt: skip
        platform.dispose()
    return {"rate": rate, "baseline_rate": base_rate, "ratio": ratio, "seconds": run_s,
            "bills": run.bills_created, "agree": agree, "sample": sample}  # fmt: skip


if __name__ == "__main__":
    main()
