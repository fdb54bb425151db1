"""OPS-2: from a recorded detection to a frozen account, measured. The detection is
committed with its ``AnomalyDetected`` event in the outbox; a relay follower (as run by
``safegrid events relay --follow``, polling every ``--interval`` s) hands it to the
``secops.playbooks`` subscriber, which runs the automatic playbook (freeze, case, notify).
The clock stops when the account's status reads ``frozen`` from another connection.
Baseline in the same run: the same detection left to the once-a-minute ``events.relay``
job (drain on the next minute tick), i.e. what the 5-second target would be without a
follower; it is computed from the tick, not waited for.

    .venv/bin/python benchmarks/detection_to_freeze.py [--runs 10 --interval 1.0]
    scripts/with-postgres.sh .venv/bin/python benchmarks/detection_to_freeze.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select, text

from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.relay import relay
from safegrid.secops.catalog import do_install_defaults
from safegrid.secops.detections import do_record_findings
from safegrid.secops.detector import Finding, Scenario
from safegrid.security.actor import Actor
from safegrid.security.models import AccountStatus, StaffAccount
from safegrid.security.policy import Post

SYSTEM = Actor.system("benchmark", "job")


def _setup(platform: Platform, runs: int) -> list[int]:
    with platform.uow(SYSTEM) as uow:
        unit = OrgUnit(code="bench", name="基准", name_en="bench", kind=UnitKind.PROVINCE,
                       parent_id=None, path="tmp")  # fmt: skip
        uow.session.add(unit)
        uow.session.flush()
        unit.path = f"/{unit.id}/"
        now = clock.now()
        people = [
            StaffAccount(
                username=f"bench.{i}",
                real_name="基准",
                post=Post.CASHIER,
                org_unit_id=unit.id,
                password_hash="x",
                password_changed_at=now,
                must_change_password=False,
                created_at=now,
            )
            for i in range(runs)
        ]
        uow.session.add_all(people)
        uow.session.flush()
        uow.audit("bench.setup", object_type="org_unit")
        uow.commit()
        ids = [p.id for p in people]
    do_install_defaults(platform.uow(SYSTEM))
    return ids


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--database-url", default=os.environ.get("SAFEGRID_DATABASE_URL"))
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = a.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        platform = Platform(Settings(env="dev", database_url=url, scheduler_enabled=False,
                                     tmp_dir=Path(tmp)))  # fmt: skip
        if url.startswith("postgresql"):
            with platform.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        platform.migrate()
        set_platform(platform)
        ids = _setup(platform, a.runs)
        stop = threading.Event()
        follower = threading.Thread(
            target=relay.follow, args=(platform, stop), kwargs={"interval": a.interval}
        )
        follower.start()
        times: list[float] = []
        try:
            for account in ids:
                finding = Finding(account, Scenario.NIGHT_EXPORT, 6.0, "基准 / benchmark", {})
                started = time.perf_counter()
                do_record_findings(platform.uow(SYSTEM), [finding], clock.now())
                while True:
                    with platform.engine.connect() as conn:
                        status = conn.scalar(
                            select(StaffAccount.status).where(StaffAccount.id == account)
                        )
                    if status == AccountStatus.FROZEN.value:
                        break
                    if time.perf_counter() - started > 60:
                        raise SystemExit(f"account {account} not frozen after 60 s")
                    time.sleep(0.02)
                times.append(time.perf_counter() - started)
        finally:
            stop.set()
            follower.join()
            set_platform(None)
    median, worst = statistics.median(times), max(times)
    baseline = 30.0  # the minute job: on average half a minute to the next tick
    print(
        f"detection -> frozen over {len(times)} runs ({url.split(':')[0]}, relay follower "
        f"polling every {a.interval:.1f} s): median {median:.2f} s, worst {worst:.2f} s "
        f"(target <= 5 s)"
    )
    print(
        f"baseline (minute relay job, mean wait to the next tick): {baseline:.0f} s; "
        f"ratio {baseline / median:.0f}x"
    )
    return {"median": median, "worst": worst}


if __name__ == "__main__":
    main()
