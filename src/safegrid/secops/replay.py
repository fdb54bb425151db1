"""Replay generator (OPS-1): a month of normal activity for a staff list plus planted
insider scenarios in its last 24 hours, as the same activity frame the database loader
produces. Generated data, labelled: it measures the detector's precision and recall
(``benchmarks/insider_detection.py``) and feeds the demo and the tests.

Normal days carry honest noise so the detector is tested on more than clean data: some
overtime into the evening, a few actions from another station's network, busy month-end
days, daytime exports by those who export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pyarrow as pa

from safegrid.secops.activity import ACCOUNT_SCHEMA, ACTIVITY_SCHEMA, Activity
from safegrid.secops.detector import Scenario

# Actions per working day by post (the median of a normal day).
DAILY: dict[str, int] = {
    "cashier": 120,
    "checker": 80,
    "hall_agent": 60,
    "meter_reader": 40,
    "finance": 50,
    "hall_manager": 30,
    "department_head": 25,
    "team_leader": 25,
}
EXPORTERS = {"hall_manager", "department_head"}
REVEALERS = {"cashier", "hall_agent", "hall_manager", "checker"}
_H = 3600


@dataclasses.dataclass(frozen=True)
class StaffRow:
    account_id: int
    username: str
    post: str
    unit_id: int


@dataclasses.dataclass(frozen=True)
class Replay:
    activity: Activity
    planted: dict[int, Scenario]  # account → the scenario planted on it
    window_end: datetime


class _Frame:
    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, account: int, at: np.ndarray, network: str, kind: str, rows: np.ndarray | int,
            unit: np.ndarray | int, grant: int | None = None) -> None:  # fmt: skip
        n = len(at)
        if n == 0:
            return
        self.parts.append(
            {
                "account_id": np.full(n, account, dtype=np.int64),
                "at": at.astype(np.int64),
                "network": np.full(n, network, dtype=object),
                "kind": np.full(n, kind, dtype=object),
                "rows": np.broadcast_to(np.asarray(rows, dtype=np.int64), (n,)).copy(),
                "unit_id": np.broadcast_to(np.asarray(unit, dtype=np.int64), (n,)).copy(),
                "grant_id": np.full(n, grant if grant is not None else -1, dtype=np.int64),
            }
        )

    def table(self) -> pa.Table:
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in ACTIVITY_SCHEMA.names}
        grant = cols.pop("grant_id")
        arrays = [pa.array(cols[k]) for k in ACTIVITY_SCHEMA.names if k != "grant_id"]
        arrays.append(pa.array(grant, mask=grant < 0))
        return pa.Table.from_arrays(arrays, schema=ACTIVITY_SCHEMA)


def _home_net(unit: int, account: int) -> str:
    return f"10.{unit % 250}.{account % 250}.0/24"


def generate(
    staff: Sequence[StaffRow],
    window_end: datetime,
    *,
    days: int = 31,
    per_scenario: int = 2,
    seed: int = 7,
) -> Replay:
    rng = np.random.default_rng(seed)
    end = int(window_end.timestamp())
    window_start = end - 86400
    units = sorted({s.unit_id for s in staff})
    eligible = [s for s in staff if s.post in DAILY]
    order = rng.permutation(len(eligible))
    planted: dict[int, Scenario] = {}
    for i, scenario in enumerate(s for s in Scenario for _ in range(per_scenario)):
        if i < len(order):
            planted[eligible[order[i]].account_id] = scenario
    departed_at = {
        a: window_start - 3 * 86400 for a, sc in planted.items() if sc == Scenario.DEPARTED_TOKEN
    }
    frame = _Frame()
    for s in eligible:
        median = DAILY[s.post]
        home = _home_net(s.unit_id, s.account_id)
        grant = 10_000 + s.account_id
        for d in range(days):
            # Local midnight of day d, counted back from the window's end.
            day0 = window_start - (days - 1 - d) * 86400
            if s.account_id in departed_at and day0 >= departed_at[s.account_id]:
                continue
            if rng.random() < 2 / 7:  # days off
                continue
            busy = rng.random() < 0.03
            n = max(int(rng.normal(median * (3 if busy else 1), median * 0.2)), 1)
            hours = np.clip(rng.normal(12.5, 2.3, n), 8, 17.99)
            at = day0 + (hours * _H).astype(np.int64)
            frame.add(s.account_id, at, home, "write", 1, s.unit_id)
            frame.add(s.account_id, np.array([day0 + 8 * _H]), home, "login", 0, s.unit_id)
            if rng.random() < 0.04:  # overtime into the evening
                k = int(rng.integers(1, 7))
                frame.add(s.account_id, day0 + rng.integers(19 * _H, 22 * _H, k), home,
                          "write", 1, s.unit_id)  # fmt: skip
            if rng.random() < 0.02:  # a visit to another station
                k = int(rng.integers(1, 9))
                other = f"10.{int(rng.integers(1, 250))}.{int(rng.integers(1, 250))}.0/24"
                frame.add(s.account_id, day0 + rng.integers(9 * _H, 17 * _H, k), other,
                          "write", 1, s.unit_id)  # fmt: skip
            if s.post in EXPORTERS and rng.random() < 0.2:
                frame.add(s.account_id, np.array([day0 + int(rng.integers(9, 17)) * _H]), home,
                          "export", int(rng.integers(50, 300)), s.unit_id)  # fmt: skip
            if s.post in REVEALERS and rng.random() < 0.3:
                k = int(rng.integers(1, 9))
                frame.add(s.account_id, day0 + rng.integers(9 * _H, 17 * _H, k), home,
                          "reveal", 1, s.unit_id, grant)  # fmt: skip
    by_id = {s.account_id: s for s in eligible}
    for account, scenario in planted.items():
        _plant(frame, rng, by_id[account], scenario, window_start, units)
    accounts = pa.table(
        {
            "account_id": [s.account_id for s in staff],
            "username": [s.username for s in staff],
            "post": [s.post for s in staff],
            "unit_id": [s.unit_id for s in staff],
            "departed_at": [departed_at.get(s.account_id) for s in staff],
        },
        schema=ACCOUNT_SCHEMA,
    )
    return Replay(Activity(frame.table(), accounts), planted, window_end)


def _plant(frame: _Frame, rng: np.random.Generator, s: StaffRow, scenario: Scenario,
           day0: int, units: list[int]) -> None:  # fmt: skip
    home = _home_net(s.unit_id, s.account_id)
    a, u = s.account_id, s.unit_id
    if scenario == Scenario.NIGHT_EXPORT:
        frame.add(a, np.array([day0 + 2 * _H + 14 * 60]), home, "export",
                  int(rng.integers(2000, 6000)), u)  # fmt: skip
    elif scenario == Scenario.VOLUME_SPIKE:
        n = DAILY[s.post] * 10
        frame.add(a, day0 + rng.integers(9 * _H, 17 * _H, n), home, "write", 1, u)
    elif scenario == Scenario.NEW_NETWORK:
        frame.add(a, day0 + rng.integers(10 * _H, 16 * _H, 30), "203.0.113.0/24", "write", 1, u)
    elif scenario == Scenario.OFF_HOURS:
        frame.add(a, day0 + rng.integers(0, 4 * _H, 20), home, "write", 1, u)
    elif scenario == Scenario.DEPARTED_TOKEN:
        frame.add(a, day0 + rng.integers(10 * _H, 12 * _H, 10), home, "write", 1, u)
    elif scenario == Scenario.GRANT_REVEALS:
        frame.add(a, day0 + rng.integers(9 * _H, 17 * _H, 150), home, "reveal", 1, u,
                  10_000 + a)  # fmt: skip
    elif scenario == Scenario.MANY_UNITS:
        others = np.array([x for x in units if x != u][:6] or [u])
        frame.add(a, day0 + rng.integers(9 * _H, 17 * _H, 60), home, "write", 1,
                  rng.choice(others, 60))  # fmt: skip


def synthetic_staff(count: int, units: int = 8) -> list[StaffRow]:
    posts = list(DAILY)
    return [
        StaffRow(i + 1, f"staff{i + 1:04d}", posts[i % len(posts)], 100 + i % units)
        for i in range(count)
    ]
