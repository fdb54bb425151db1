"""Reading import throughput (BILL-2; target in the billing issue: ≥ 200,000 validated
rows/s from CSV).

Builds a scratch utility (meters with a stored reading and three months of usage
history), writes a CSV of N valid register reads — 20 consecutive days per meter, a
third of them time-of-use meters, some behind current transformers — and times the
real import path, parse + validate + write, ``readings.imports.do_import_readings``.
In the same run, a straightforward baseline imports a smaller sample row by row:
``csv.DictReader``, an ORM lookup of the meter and of its last reading per row, the
rules in Python Decimal, one ORM insert per row. Prints rows/s of both and the ratio.

    .venv/bin/python benchmarks/reading_import.py [--rows 1000000] [--baseline 20000]
    scripts/with-postgres.sh sh -c \
        '.venv/bin/python benchmarks/reading_import.py --database-url "$SAFEGRID_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.customers.models import Account, Customer, Meter, ReadingArea, SupplyPoint
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.readings.imports import do_import_readings
from safegrid.readings.models import MonthlyUsage, ReadSource, RegisterRead
from safegrid.security.actor import Actor

DAYS = 20
FIRST_DAY = date(2026, 11, 1)
TODAY = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # noon in Beijing; November is open


def _platform(workdir: Path, database_url: str | None = None) -> Platform:
    """A scratch SQLite file, or the (empty) database at ``database_url``."""
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    platform = Platform(Settings(env="dev", database_url=url))
    platform.migrate()
    return platform


def build_utility(platform: Platform, meters: int, seed: int = 4) -> dict[str, np.ndarray]:
    """Meters (ids 1..n) with a reading on the eve of the first day and 3 months of usage."""
    rng = np.random.default_rng(seed)
    now = clock.now()
    ids = np.arange(1, meters + 1)
    tou = rng.random(meters) < 0.3
    mult = np.where(rng.random(meters) < 0.05, 40, 1)
    start_c = rng.integers(100_000, 5_000_000, meters)  # 1,000.00 … 50,000.00
    peak_start_c = (start_c * 0.6).astype(np.int64)
    with platform.engine.begin() as conn:
        conn.execute(
            insert(OrgUnit).values(
                id=1,
                code="bench",
                name="基准供电所",
                name_en="Bench",
                kind=UnitKind.STATION,
                parent_id=None,
                path="/1/",
            )
        )
        conn.execute(insert(ReadingArea).values(id=1, code="RA1", name="区段", org_unit_id=1))
        for lo in range(0, meters, 20_000):
            chunk = ids[lo : lo + 20_000].tolist()
            conn.execute(
                insert(Customer),
                [
                    {
                        "id": i,
                        "number": f"K{i:09d}",
                        "kind": "resident",
                        "name": "户主",
                        "address": "浙江省杭州市",
                        "created_at": now,
                        "updated_at": now,
                        "org_unit_id": 1,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                insert(Account),
                [
                    {
                        "id": i,
                        "number": f"A{i:09d}",
                        "customer_id": i,
                        "tariff_category": "residential",
                        "opened_on": date(2020, 1, 1),
                        "org_unit_id": 1,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                insert(SupplyPoint),
                [
                    {
                        "id": i,
                        "account_id": i,
                        "address": "浙江省杭州市",
                        "voltage_kv": Decimal("0.22"),
                        "capacity_kva": Decimal("8"),
                        "org_unit_id": 1,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                insert(Meter),
                [
                    {
                        "id": i,
                        "asset_no": f"ZJ{i:010d}",
                        "supply_point_id": i,
                        "reading_area_id": 1,
                        "model": "DDZY71-Z",
                        "multiplier": int(mult[i - 1]),
                        "is_tou": bool(tou[i - 1]),
                        "latitude": Decimal("30.05"),
                        "longitude": Decimal("119.95"),
                        "installed_on": date(2020, 1, 1),
                        "org_unit_id": 1,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                insert(RegisterRead),
                [
                    {
                        "meter_id": i,
                        "read_on": FIRST_DAY - timedelta(days=1),
                        "total_register": Decimal(int(start_c[i - 1])).scaleb(-2),
                        "peak_register": Decimal(int(peak_start_c[i - 1])).scaleb(-2)
                        if tou[i - 1]
                        else None,
                        "valley_register": Decimal(
                            int(start_c[i - 1] - peak_start_c[i - 1])
                        ).scaleb(-2)
                        if tou[i - 1]
                        else None,
                        "estimated": False,
                        "source": ReadSource.IMPORT,
                        "entered_by": "bench",
                        "org_unit_id": 1,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                insert(MonthlyUsage),
                [
                    {
                        "meter_id": i,
                        "account_id": i,
                        "period": period,
                        # Multiplier applied, as closing stores it: a meter behind a
                        # current transformer uses 40× its register's movement.
                        "kwh": Decimal(240 * int(mult[i - 1])),
                        "estimated": False,
                        "source": "ami",
                        "org_unit_id": 1,
                    }
                    for i in chunk
                    for period in ("2026-08", "2026-09", "2026-10")
                ],
            )
    return {"tou": tou, "start_c": start_c, "peak_start_c": peak_start_c}


def make_csv(
    state: dict[str, np.ndarray], rows: int, first_day: date, days: int, seed: int = 5
) -> bytes:
    """``rows`` valid reads: ``days`` consecutive days for as many meters as needed."""
    rng = np.random.default_rng(seed)
    n_meters = -(-rows // days)
    use_c = rng.integers(300, 1500, (n_meters, days))  # 3–15 kWh a day
    total_c = state["start_c"][:n_meters, None] + np.cumsum(use_c, axis=1)
    peak_c = state["peak_start_c"][:n_meters, None] + np.cumsum(use_c * 6 // 10, axis=1)
    valley_c = total_c - peak_c
    tou = state["tou"][:n_meters]
    out = io.StringIO()
    out.write("asset_no,read_on,total,peak,valley,estimated\n")
    day_text = [(first_day + timedelta(days=d)).isoformat() for d in range(days)]
    written = 0
    for m in range(n_meters):
        asset = f"ZJ{m + 1:010d}"
        for d in range(days):
            if written == rows:
                break
            t = total_c[m, d]
            if tou[m]:
                p, v = peak_c[m, d], valley_c[m, d]
                out.write(
                    f"{asset},{day_text[d]},{t // 100}.{t % 100:02d},{p // 100}.{p % 100:02d},{v // 100}.{v % 100:02d},0\n"
                )
            else:
                out.write(f"{asset},{day_text[d]},{t // 100}.{t % 100:02d},,,0\n")
            written += 1
    return out.getvalue().encode()


def naive_import(platform: Platform, data: bytes) -> int:
    """Row by row, as a first implementation would do it."""
    actor = Actor.system("bench-baseline", "cli")
    n = 0
    with platform.uow(actor) as uow:
        s = uow.session
        for row in csv.DictReader(io.StringIO(data.decode())):
            meter = s.scalars(select(Meter).where(Meter.asset_no == row["asset_no"])).first()
            if meter is None:
                raise ValueError(f"unknown meter {row['asset_no']}")
            day = date.fromisoformat(row["read_on"])
            total = Decimal(row["total"])
            prev = s.scalars(
                select(RegisterRead)
                .where(RegisterRead.meter_id == meter.id)
                .order_by(RegisterRead.read_on.desc())
                .limit(1)
            ).first()
            if prev is not None and day <= prev.read_on:
                raise ValueError("out of order")
            if day > clock.business_day():
                raise ValueError("future")
            kwh = None
            if prev is not None:
                diff = total - prev.total_register
                if diff < 0:
                    raise ValueError("negative consumption")
                kwh = diff * meter.multiplier
            s.add(
                RegisterRead(
                    meter_id=meter.id,
                    read_on=day,
                    total_register=total,
                    peak_register=Decimal(row["peak"]) if row["peak"] else None,
                    valley_register=Decimal(row["valley"]) if row["valley"] else None,
                    kwh=kwh,
                    estimated=row["estimated"] == "1",
                    source=ReadSource.IMPORT,
                    entered_by="bench",
                    org_unit_id=meter.org_unit_id,
                )
            )
            s.flush()
            n += 1
        uow.audit("readings.import", object_type="import_batch", note="baseline")
        uow.commit()
    return n


def run(
    rows: int, baseline_rows: int, workdir: Path, database_url: str | None = None
) -> dict[str, float]:
    clock.set_clock(clock.FixedClock(TODAY))
    platform = _platform(workdir, database_url)
    print(f"database: {platform.engine.dialect.name}")
    try:
        meters = -(-rows // DAYS)
        t = time.perf_counter()
        state = build_utility(platform, meters)
        print(f"scratch utility: {meters:,} meters with history ({time.perf_counter() - t:.1f} s)")
        data = make_csv(state, rows, FIRST_DAY, DAYS)
        print(f"CSV: {rows:,} rows, {len(data) / 1e6:.1f} MB")

        started = time.perf_counter()
        report = do_import_readings(platform.uow(Actor.system("bench", "cli")), "bench.csv", data)
        ours = time.perf_counter() - started
        if not report.accepted:
            raise SystemExit(f"benchmark file rejected: {report.error_counts} {report.errors[:3]}")
        ours_rate = report.readings / ours

        # The baseline continues the same meters on the next days (so each row has a
        # previous reading to check against), on a sample.
        base_days = max(1, min(5, -(-baseline_rows // meters)))
        base_state = dict(state)
        base_state["start_c"] = state["start_c"] + 1_500 * DAYS  # safely above every day 20
        base_state["peak_start_c"] = state["peak_start_c"] + 900 * DAYS
        sample = make_csv(
            base_state, baseline_rows, FIRST_DAY + timedelta(days=DAYS), base_days, seed=6
        )
        started = time.perf_counter()
        naive_n = naive_import(platform, sample)
        naive = time.perf_counter() - started
        naive_rate = naive_n / naive
    finally:
        platform.dispose()
        clock.set_clock(clock.SystemClock())
    ratio = ours_rate / naive_rate
    print(
        f"ours:     {report.readings:>10,} rows in {ours:6.2f} s = {ours_rate:>10,.0f} validated rows/s"
    )
    print(
        f"baseline: {naive_n:>10,} rows in {naive:6.2f} s = {naive_rate:>10,.0f} rows/s (row by row, ORM)"
    )
    print(
        f"ratio:    {ratio:.1f}×   (target ≥ 200,000 rows/s: {'met' if ours_rate >= 200_000 else 'NOT met'})"
    )
    return {"rows": report.readings, "rate": ours_rate, "baseline_rate": naive_rate, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to fill, e.g. PostgreSQL from scripts/with-postgres.sh "
        "(default: a scratch SQLite file)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="safegrid-bench-readings-") as tmp:
        run(args.rows, args.baseline, Path(tmp), args.database_url)


if __name__ == "__main__":
    main()
