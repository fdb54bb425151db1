"""Outbox relay throughput (ADR 0016): how many events per second leave the outbox for an
in-process subscriber, against a baseline measured in the same run — the same relay
claiming one event per round (two transactions and two audit entries per event), i.e. what
an event-at-a-time relay costs. Also the figure with two relays running at once.

    .venv/bin/python benchmarks/event_relay.py [--events 20000 --baseline 1000]
    SAFEGRID_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python benchmarks/event_relay.py

SQLite in a scratch file by default; --database-url or SAFEGRID_DATABASE_URL (set by
with-postgres.sh) selects PostgreSQL (its public schema is emptied first: use a throwaway
cluster).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.platform import events
from safegrid.platform.events import Event, EventRecord
from safegrid.relay import relay
from safegrid.security.actor import Actor


@dataclasses.dataclass(frozen=True)
class MeterRead(Event):
    meter_id: int
    kwh: str


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    def __call__(self, records: Sequence[EventRecord]) -> None:
        with self.lock:
            self.n += len(records)


def emit(platform: Platform, n: int) -> None:
    actor = Actor.system("benchmark", "job")
    for start in range(0, n, 5000):
        with platform.uow(actor) as uow:
            uow.emit_many([MeterRead(i, "12.5") for i in range(start, min(n, start + 5000))])
            uow.audit("benchmark.emit", object_type="benchmark")
            uow.commit()


def timed(platform: Platform, counter: Counter, n: int, batch: int, relays: int) -> float:
    emit(platform, n)
    counter.n = 0
    started = time.perf_counter()
    threads = [
        threading.Thread(target=relay.drain, args=(platform,), kwargs={"batch": batch})
        for _ in range(relays)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert counter.n == n, f"delivered {counter.n} of {n}"
    return n / elapsed


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--database-url", default=os.environ.get("SAFEGRID_DATABASE_URL"))
    args = parser.parse_args(argv)
    counter = Counter()
    events.subscribe(MeterRead, counter, name="benchmark.counter")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'relay.db'}"
        platform = Platform(Settings(env="dev", database_url=url, scheduler_enabled=False))
        try:
            if not platform.settings.is_sqlite:
                with platform.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            platform.migrate()
            backend = "sqlite" if platform.settings.is_sqlite else "postgresql"
            batched = timed(platform, counter, args.events, relay.BATCH, 1)
            two = timed(platform, counter, args.events, relay.BATCH, 2)
            one_by_one = timed(platform, counter, args.baseline, 1, 1)
        finally:
            events.unsubscribe("benchmark.counter")
            platform.dispose()
    print(f"backend {backend}; {args.events} events, one subscriber")
    print(f"relay, batches of {relay.BATCH}:        {batched:10.0f} events/s")
    print(f"two relays at once:             {two:10.0f} events/s")
    print(f"baseline, one event per round:  {one_by_one:10.0f} events/s ({args.baseline} events)")
    print(f"ratio batched / baseline:       {batched / one_by_one:10.1f}x")
    return {"batched": batched, "two_relays": two, "baseline": one_by_one}


if __name__ == "__main__":
    main()
