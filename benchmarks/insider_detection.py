"""OPS-1: precision and recall of the behaviour detector on the replay generator's month
(GENERATED data: normal activity of a staff list with honest noise, plus planted insider
scenarios in the last 24 hours), against a fixed-threshold baseline in the same run — the
rule a firewall-and-permissions shop would write: flag an account with more than
``--fixed-actions`` actions or ``--fixed-rows`` exported rows in a day, or any action
between 00:00 and 06:00.

    .venv/bin/python benchmarks/insider_detection.py [--staff 300 --days 31 --per-scenario 3]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import duckdb

from safegrid.secops import replay
from safegrid.secops.detector import Scenario, detect


def fixed_threshold(r: replay.Replay, actions: int, rows: int) -> set[int]:
    w1 = int(r.window_end.timestamp())
    con = duckdb.connect()
    con.register("ev", r.activity.events)
    found = con.execute(
        f"""SELECT account_id FROM ev WHERE "at" >= {w1 - 86400} AND "at" < {w1}
            GROUP BY account_id
            HAVING count(*) FILTER (WHERE kind <> 'login') > {actions}
                OR coalesce(sum(rows) FILTER (WHERE kind = 'export'), 0) > {rows}
                OR count(*) FILTER (WHERE (("at" + 28800) % 86400) < 6 * 3600) > 0"""
    ).fetchall()
    return {a for (a,) in found}


def score(flagged: set[int], planted: set[int]) -> tuple[float, float]:
    tp = len(flagged & planted)
    precision = tp / len(flagged) if flagged else 0.0
    recall = tp / len(planted) if planted else 0.0
    return precision, recall


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--staff", type=int, default=300)
    p.add_argument("--days", type=int, default=31)
    p.add_argument("--per-scenario", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--fixed-actions", type=int, default=300)
    p.add_argument("--fixed-rows", type=int, default=1000)
    a = p.parse_args(argv)
    end = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)
    started = time.perf_counter()
    r = replay.generate(replay.synthetic_staff(a.staff), end, days=a.days,
                        per_scenario=a.per_scenario, seed=a.seed)  # fmt: skip
    generated = time.perf_counter() - started
    started = time.perf_counter()
    findings = detect(r.activity, end)
    took = time.perf_counter() - started
    planted = set(r.planted)
    ours = {f.account_id for f in findings}
    base = fixed_threshold(r, a.fixed_actions, a.fixed_rows)
    p_ours, r_ours = score(ours, planted)
    p_base, r_base = score(base, planted)
    print(
        f"generated data: {a.staff} staff, {a.days} days, {r.activity.events.num_rows:,} "
        f"events, {len(planted)} planted insiders (seed {a.seed}) in {generated:.1f} s"
    )
    print(
        f"detector       precision {p_ours:.2f}  recall {r_ours:.2f}  "
        f"({len(ours)} flagged, {took:.2f} s)"
    )
    print(f"fixed baseline precision {p_base:.2f}  recall {r_base:.2f}  ({len(base)} flagged)")
    for scenario in Scenario:
        mine = {acc for acc, sc in r.planted.items() if sc == scenario}
        print(
            f"  {scenario.value:15s} detector {len(mine & ours)}/{len(mine)}  "
            f"baseline {len(mine & base)}/{len(mine)}"
        )
    ratio = (r_ours / r_base) if r_base else float("inf")
    print(f"recall ratio detector/baseline: {ratio:.1f}")
    return {"precision": p_ours, "recall": r_ours, "base_precision": p_base,
            "base_recall": r_base}  # fmt: skip


if __name__ == "__main__":
    main()
