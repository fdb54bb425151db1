"""Statement parsing (REC-1): a 100,000-entry camt.053 file and a 100,000-entry MT940 file
read and checked completely by ``formats.read`` (entries/s), against a baseline in the
same run: the same MT940 entries parsed statement by statement the way a naive importer
would — one ``mt940.parse`` call per one-entry statement (the library's per-call setup
repeated for every entry).

    .venv/bin/python benchmarks/statement_parse.py [--entries 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal

import mt940

from safegrid.reconciliation import formats, writers


def sheet(n: int) -> writers.Sheet:
    rnd = random.Random(7)
    first = date(2026, 11, 1)
    lines = [
        writers.Line(
            Decimal(rnd.randint(-50_000, 500_000)) / 100 or Decimal("0.01"),
            first + timedelta(days=i % 30),
            f"E2E{i:010d}",
            f"电费 户号 {i:010d}",
        )
        for i in range(n)
    ]
    return writers.Sheet("3301000000001", "BENCH-2026-11", Decimal("1000000.00"), lines)


def timed(name: str, data: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    parsed = formats.read(name, data)
    elapsed = time.perf_counter() - started
    return sum(len(s.entries) for s in parsed.statements), elapsed


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    args = parser.parse_args(argv)
    s = sheet(args.entries)
    camt = writers.camt053([s], version=8)
    swift = writers.mt940([s])
    n_camt, t_camt = timed("bench.xml", camt)
    n_swift, t_swift = timed("bench.sta", swift)
    small = writers.Sheet(s.account, s.statement_id, s.opening, s.lines[: args.baseline])
    started = time.perf_counter()
    for one in small.lines:
        mt940.parse(writers.mt940([writers.Sheet(s.account, "X", Decimal(0), [one])]).decode())
    t_base = time.perf_counter() - started
    base_rate = args.baseline / t_base
    print(
        f"camt.053.001.08: {n_camt} entries, {len(camt) / 1e6:.1f} MB in {t_camt:.2f} s = {n_camt / t_camt:10.0f} entries/s"
    )
    print(
        f"MT940:           {n_swift} entries, {len(swift) / 1e6:.1f} MB in {t_swift:.2f} s = {n_swift / t_swift:10.0f} entries/s"
    )
    print(
        f"baseline, one mt940.parse per entry: {base_rate:10.0f} entries/s ({args.baseline} entries)"
    )
    print(f"ratio MT940 file / baseline:         {n_swift / t_swift / base_rate:10.1f}x")
    return {"camt": n_camt / t_camt, "mt940": n_swift / t_swift, "baseline": base_rate}


if __name__ == "__main__":
    main()
