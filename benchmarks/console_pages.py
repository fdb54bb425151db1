"""Issue 13: every console page answers in ≤ 1 s at province scope on the demo data.

Loads every console page without path parameters (and one customer's 客户360 page) for
every post the page is open to, signed in as that post's province-level demo account
(``<post>.zj``), through the real app in this process (no network: the figure is the
server's). Each page is loaded once to warm caches, then timed ``--runs`` times; the
median wall time is what is judged, printed with the median CPU time of this process (on a
shared machine the difference is time spent waiting for a core). Prints every (post, page) slower than ``--limit`` and the slowest
``--top``, and exits 1 when any page is over the limit.

The demo database is built first when the file is missing (``safegrid demo generate``
with ``--customers``, history included: several minutes on 2 cores), or reused:

    .venv/bin/python benchmarks/console_pages.py [--db var/bench-console.db]
        [--customers 20000] [--runs 3] [--limit 1.0] [--top 15] [--post cashier ...]

Baseline in the same run: none is needed for a limit; the figures before the change are in
ADR 0024 (measured with this script on the commit before it).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not pages: sign-in steps, the API docs, a payment hand-off, and the signed report's
# download (a file for a ?period=&kind= of a signed month; without them its 422 is right).
SKIP = {
    "/logout",
    "/login",
    "/login/verify",
    "/docs",
    "/portal/pay",
    "/reconciliation/report/file",
}


def _build(db: Path, customers: int) -> None:
    env = {**os.environ, "SAFEGRID_DATABASE_URL": f"sqlite:///{db}", "SAFEGRID_ENV": "dev"}
    cli = Path(sys.executable).with_name("safegrid")
    print(f"building the demo utility ({customers} customers) into {db} …", flush=True)
    subprocess.run(
        [str(cli), "demo", "generate", "--customers", str(customers)], env=env, check=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench-console.db")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--post", action="append", default=[])
    args = parser.parse_args()
    if not args.db.exists():
        _build(args.db, args.customers)
    os.environ["SAFEGRID_DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("SAFEGRID_ENV", "dev")
    os.environ["SAFEGRID_SCHEDULER_ENABLED"] = "false"
    sys.path.insert(0, str(ROOT))  # the permission matrix's route reader (tests/permissions)

    from fastapi.testclient import TestClient
    from sqlalchemy import insert, select

    from safegrid.app import create_app
    from safegrid.bootstrap import Platform, set_platform
    from safegrid.config import Settings
    from safegrid.customers.models import Customer
    from safegrid.org.models import OrgUnit
    from safegrid.platform import clock
    from safegrid.security import authn
    from safegrid.security.actor import Actor
    from safegrid.security.guards import SESSION_COOKIE, Guard
    from safegrid.security.models import AuthSession, SessionStage, StaffAccount
    from safegrid.security.policy import POLICY, Post
    from safegrid.web.i18n import LANG_COOKIE
    from tests.permissions.routes import route_cases

    platform = Platform(Settings())
    set_platform(platform)
    app = create_app(platform)
    with platform.uow(Actor.system("benchmark"), readonly=True) as uow:
        province = uow.session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)))
        accounts = dict(
            uow.session.execute(
                select(StaffAccount.post, StaffAccount.id).where(
                    StaffAccount.org_unit_id == province
                )
            ).all()
        )
        customer_id = uow.session.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    posts = [Post(p) for p in args.post] or [p for p in Post if p in accounts]

    clients: dict[Post, TestClient] = {}
    now = clock.now()
    for post in posts:
        token = secrets.token_urlsafe(24)
        # A session row as the login writes it (login itself is not what is measured).
        with platform.engine.begin() as conn:
            conn.execute(
                insert(AuthSession).values(
                    account_id=accounts[post],
                    token_hash=authn.token_digest(token),
                    kind="console",
                    stage=SessionStage.FULL.value,
                    ip="127.0.0.1",
                    user_agent="benchmark",
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
        client = TestClient(app)
        client.cookies.set(SESSION_COOKIE, token)
        client.cookies.set(LANG_COOKIE, "zh")
        clients[post] = client

    cases = route_cases(app)
    pages = sorted(
        {
            (c.path, c.guard.perm)
            for c in cases
            if c.method == "GET"
            and not c.params
            and isinstance(c.guard, Guard)
            and c.guard.kind == "page"
            and c.path not in SKIP
        },
        key=lambda p: p[0],
    )
    pages.append(
        (
            f"/customers/{customer_id}",
            next(c.guard.perm for c in cases if c.path == "/customers/{customer_id}"),
        )
    )

    timings: list[tuple[float, float, str, str, int]] = []
    started = time.perf_counter()
    for post in posts:
        client = clients[post]
        for path, perm in pages:
            if perm is not None and perm not in POLICY[post]:
                continue
            status = client.get(path).status_code  # warm-up
            runs, cpu = [], []
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                client.get(path)
                runs.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            timings.append(
                (statistics.median(runs), statistics.median(cpu), post.value, path, status)
            )
    wall = time.perf_counter() - started

    timings.sort(reverse=True)
    over = [t for t in timings if t[0] > args.limit]
    print(
        f"{len(timings)} (post, page) pairs, {len(posts)} posts, {args.runs} runs each, "
        f"{wall:.0f} s; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"slowest {args.top} (median seconds: wall, and CPU of this process — the machine is shared):"
    )
    for seconds, cpu_seconds, post_name, path, status in timings[: args.top]:
        print(f"  {seconds:6.3f} {cpu_seconds:6.3f}  {status}  {post_name:<22} {path}")
    bad = [t for t in timings if t[4] != 200]
    for _seconds, _cpu, post_name, path, status in bad:
        print(f"  status {status}: {post_name} {path}")
    print(f"over {args.limit:.1f} s: {len(over)}")
    platform.dispose()
    return 1 if over or bad else 0


if __name__ == "__main__":
    sys.exit(main())
