"""Hall queue under a province's load (HALL-2, HALL-3; target in the hall issue: 300 queue
operations/s over HTTP on 2 cores with PostgreSQL, call-next p99 ≤ 20 ms, no ticket called
twice, while 1,000 display boards stay subscribed to live updates).

Seeds ``--halls`` halls (4 windows each, one agent per county with an API token) in a
scratch database, starts the real server (uvicorn, ``--workers``) as its own process, then
drives an open-loop mix at ``--rate`` operations/s for ``--seconds``: take a ticket, call
next at a window of that hall, complete it, rate one in four (a real day's proportions:
about 31 % each of take / call / complete and 8 % ratings), while ``--boards`` display
boards hold one server-sent-event stream each (``/hall/board/{id}/stream``).

Baseline, same run, same server process kind: call-next as a row-locking
``SELECT … ORDER BY … LIMIT 1 FOR UPDATE`` then ``UPDATE`` per call, and boards that
poll the hall's state every 2 s instead of subscribing. The baseline's two routes are
mounted only by this script's app factory (``bench_app``); production has one call-next.

    SAFEGRID_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python benchmarks/hall_queue.py \
        [--halls 1000] [--boards 1000] [--rate 300] [--seconds 60] [--workers 2]

The load generator shares the cores with the server, so it is kept cheap: raw keep-alive
sockets with hand-built requests (``benchmarks/load_sockets.py``), not an HTTP library;
its own CPU is printed next to the server's and the database's.

Prints p50/p99 of call-next and of all operations, the sustained rate, errors, tickets
called twice (must be 0), board events received, CPU per operation (server, database, load
generator), and the ratios against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from fastapi import APIRouter, FastAPI, Response
from sqlalchemy import Table, func, insert, select, text, update

from safegrid.app import create_app
from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.hall import monitor
from safegrid.hall.catalogue import TicketStatus, WindowStatus
from safegrid.hall.models import HallEvent, HallProfile, HallWindow, Ticket
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.platform import clock
from safegrid.security import authn
from safegrid.security.api_access import HallServe, HallView
from safegrid.security.models import AuthSession, SessionStage, StaffAccount
from safegrid.security.policy import Post

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load_sockets import BoardStream, CpuMeter, Pool, ProtocolError, open_board

WINDOWS = 4
PER_COUNTY = 20  # halls per county: one agent's token serves them
DRAIN = 30.0  # seconds the load waits for answers after its last request
CONNECTIONS = 256  # the load's connections to the server


# --- the baseline, mounted only here ---------------------------------------------------

naive = APIRouter(prefix="/api/bench/naive")


@naive.post("/windows/{window_id}/call-next")
def naive_call_next(window_id: int, work: HallServe) -> Any:
    """Row locking per call: lock the first waiting ticket, then update it."""
    with work.write() as uow:
        s = uow.session
        w = s.get(HallWindow, window_id)
        if w is None:
            return Response(status_code=404)
        row = s.execute(
            select(Ticket.id)
            .where(
                Ticket.org_unit_id == w.org_unit_id,
                Ticket.business_day == clock.business_day(),
                Ticket.status == TicketStatus.WAITING,
            )
            .order_by(Ticket.priority.desc(), Ticket.id)
            .limit(1)
            .with_for_update()
        ).first()
        if row is None:
            return Response(status_code=204)
        s.execute(
            update(Ticket)
            .where(Ticket.id == row.id)
            .values(status=TicketStatus.CALLED, window_id=w.id, called_at=clock.now(), call_count=1)
        )
        uow.audit("bench.naive_call", object_type="hall_ticket", object_id=row.id)
        uow.commit()
        return {"id": row.id}


@naive.get("/board/{hall_id}")
def naive_board(hall_id: int, work: HallView) -> dict[str, Any]:
    with work.read() as uow:
        state = monitor.live(uow, hall_id)
    return {"calls": state.recent_calls, "waiting": state.waiting}


def bench_app() -> FastAPI:
    app = create_app()
    app.include_router(naive)
    return app


# --- seeding ------------------------------------------------------------------------------


def scratch_platform(url: str) -> Platform:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    p = Platform(
        Settings(env="test", database_url=url, secret_key="b" * 40, scheduler_enabled=False)
    )
    if not p.settings.is_sqlite:
        with p.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    p.migrate()
    return p


@dataclass
class Seeded:
    halls: list[int]
    windows: dict[int, list[int]]
    token_of: dict[int, str]  # hall → agent's token


def seed(p: Platform, n_halls: int) -> Seeded:
    now = clock.now()
    with p.engine.begin() as c:
        units = cast(Table, OrgUnit.__table__)
        prov = c.execute(
            insert(units)
            .values(code="p", name="省", name_en="P", kind=UnitKind.PROVINCE, path="x")
            .returning(units.c.id)
        ).scalar_one()
        c.execute(update(units).where(units.c.id == prov).values(path=f"/{prov}/"))
        halls: list[int] = []
        windows: dict[int, list[int]] = {}
        token_of: dict[int, str] = {}
        for k in range((n_halls + PER_COUNTY - 1) // PER_COUNTY):
            county = c.execute(
                insert(units)
                .values(
                    code=f"c{k}",
                    name=f"县{k}",
                    name_en=f"C{k}",
                    kind=UnitKind.COUNTY,
                    parent_id=prov,
                    path=f"t{k}",
                )
                .returning(units.c.id)
            ).scalar_one()
            c.execute(update(units).where(units.c.id == county).values(path=f"/{prov}/{county}/"))
            agent = c.execute(
                insert(StaffAccount)
                .values(
                    username=f"agent{k}",
                    real_name="柜员",
                    post=Post.HALL_AGENT,
                    org_unit_id=county,
                    password_hash="x",
                    password_changed_at=now,
                    must_change_password=False,
                    totp_secret=None,
                    totp_enrolled=True,
                    created_at=now,
                )
                .returning(StaffAccount.id)
            ).scalar_one()
            token = secrets.token_urlsafe(24)
            c.execute(
                insert(AuthSession).values(
                    account_id=agent,
                    token_hash=authn.token_digest(token),
                    kind="api",
                    stage=SessionStage.FULL.value,
                    ip="127.0.0.1",
                    user_agent="bench",
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=6),
                )
            )
            for j in range(min(PER_COUNTY, n_halls - len(halls))):
                hall = c.execute(
                    insert(units)
                    .values(
                        code=f"h{k}-{j}",
                        name=f"厅{k}-{j}",
                        name_en="H",
                        kind=UnitKind.HALL,
                        parent_id=county,
                        path=f"u{k}-{j}",
                    )
                    .returning(units.c.id)
                ).scalar_one()
                c.execute(
                    update(units).where(units.c.id == hall).values(path=f"/{prov}/{county}/{hall}/")
                )
                c.execute(
                    insert(HallProfile).values(
                        org_unit_id=hall,
                        address="地址",
                        opens_at=time_of_day(0, 0),
                        closes_at=time_of_day(23, 59),
                        queue_threshold=10**6,
                        wait_limit_minutes=10**5,
                        updated_at=now,
                    )
                )
                ids = (
                    c.execute(
                        insert(HallWindow).returning(HallWindow.id),
                        [
                            {
                                "org_unit_id": hall,
                                "number": n + 1,
                                "name": f"{n + 1}",
                                "skills": "payment,consult,new_connection,capacity,transfer,complaint",
                                "status": WindowStatus.OPEN,
                            }
                            for n in range(WINDOWS)
                        ],
                    )
                    .scalars()
                    .all()
                )
                halls.append(hall)
                windows[hall] = list(ids)
                token_of[hall] = token
    return Seeded(halls, windows, token_of)


# --- the server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_cpu(root: int | None) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its living descendants, read
    from Linux's /proc (0 elsewhere): the server's workers, or the database's backends."""
    if root is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return total


def postmaster_pid(p: Platform) -> int | None:
    if p.settings.is_sqlite:
        return None
    with p.engine.connect() as c, contextlib.suppress(OSError, ValueError):
        datadir = c.scalar(text("SHOW data_directory"))
        return int(Path(f"{datadir}/postmaster.pid").read_text().split()[0])
    return None


@contextlib.contextmanager
def server(url: str, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "SAFEGRID_DATABASE_URL": url,
        "SAFEGRID_ENV": "dev",
        "SAFEGRID_SCHEDULER_ENABLED": "false",
        # The load generator is an authorised tool on loopback: without this the shield
        # (OPS-8) rightly takes 300 requests/s from one address for an attack and refuses
        # the rest, and the run measures the shield instead of the queue.
        "SAFEGRID_SHIELD_EXEMPT_NETWORKS": "127.0.0.1/32",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.hall_queue:bench_app",
                "--factory",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server not healthy")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- the load -----------------------------------------------------------------------------


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {k: [] for k in ("take", "call", "complete", "rate")}
    )
    errors: int = 0
    # The first refusals by status and body: a run whose operations all fail says why.
    refusals: dict[int, str] = field(default_factory=dict)
    ops: int = 0
    seconds: float = 0.0
    board_events: int = 0
    board_polls: int = 0
    boards_connected: int = 0
    unfinished: int = 0  # still unanswered DRAIN seconds after the load stopped
    in_flight: Counter[str] = field(default_factory=Counter)  # by kind, while unanswered
    app_cpu: float = 0.0  # CPU seconds of the server's processes during the load
    db_cpu: float = 0.0  # and of the database's
    load_cpu: float = 0.0  # and of this load generator (boards included)

    def pct(self, kind: str | None, q: float) -> float:
        values = sorted(v for k, vs in self.latencies.items() if kind in (None, k) for v in vs)
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


async def drive(
    base: str,
    s: Seeded,
    rate: float,
    seconds: float,
    boards: int,
    naive_mode: bool,
    cpu: tuple[int, int | None],
) -> Run:
    run = Run()
    rng = random.Random(7)
    host, port = base.removeprefix("http://").split(":")
    pool = Pool(host, int(port), CONNECTIONS)
    auth = {h: f"Authorization: Bearer {t}\r\n".encode() for h, t in s.token_of.items()}
    stop = asyncio.Event()
    streams: list[BoardStream] = []

    async def polling(hall: int) -> None:
        # Each polling board its own keep-alive connection, as a screen in a hall would.
        board = Pool(host, int(port), 1)
        await asyncio.sleep(rng.uniform(0, 2))
        while not stop.is_set():
            with contextlib.suppress(OSError, ProtocolError):
                await board.request("GET", f"/api/bench/naive/board/{hall}", auth[hall])
                run.board_polls += 1
            await asyncio.sleep(2)
        board.close()

    board_halls = s.halls[:boards]
    board_tasks: list[asyncio.Task[None]] = []
    if naive_mode:
        board_tasks = [asyncio.create_task(polling(h)) for h in board_halls]
    else:
        for h in board_halls:
            streams.append(await open_board(host, int(port), f"/hall/board/{h}/stream"))
    # The load starts once every board holds its stream (polling boards: after 2 s).
    deadline = time.perf_counter() + 120
    await asyncio.sleep(2)
    while not naive_mode and sum(b.subscribed for b in streams) < boards:
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.2)
    run.boards_connected = sum(b.subscribed for b in streams)

    waiting: deque[int] = deque()  # halls with a ticket taken
    serving: deque[tuple[int, int]] = deque()  # (hall, ticket) at a window
    done: deque[tuple[int, int]] = deque()
    free_windows = {h: deque(ws) for h, ws in s.windows.items()}
    busy: dict[int, int] = {}  # ticket → window
    pending: set[asyncio.Task[None]] = set()

    async def op(kind: str, hall: int, path: str, body: bytes, after: Any) -> None:
        t0 = time.perf_counter()  # the wait for a connection counts in the latency
        run.in_flight[kind] += 1
        try:
            status, answer = await pool.request("POST", path, auth[hall], body)
        except (OSError, ProtocolError) as exc:
            run.in_flight[kind] -= 1
            run.errors += 1
            run.refusals.setdefault(0, f"{kind} {path}: {type(exc).__name__} {exc}")
            return
        run.in_flight[kind] -= 1
        run.latencies[kind].append(time.perf_counter() - t0)
        run.ops += 1
        if status >= 400:
            run.errors += 1
            run.refusals.setdefault(status, f"{kind} {path}: {answer[:160]!r}")
            return
        after(status, answer)

    pattern = ["take", "call", "complete"] * 4 + ["rate"]
    take_body = json.dumps({"business_type": "payment", "channel": "kiosk"}).encode()
    complete_body = json.dumps({"step": "complete"}).encode()

    def next_op(kind: str) -> Any:
        """The coroutine of the next operation (a take when the chosen one has nothing)."""
        if kind == "call" and waiting and free_windows[waiting[0]]:
            hall = waiting.popleft()
            window = free_windows[hall].popleft()
            prefix = "/api/bench/naive" if naive_mode else "/api/hall"

            def called(status: int, answer: bytes) -> None:
                if status == 204:
                    free_windows[hall].append(window)
                    return
                ticket = int(json.loads(answer)["id"])
                busy[ticket] = window
                serving.append((hall, ticket))

            return op("call", hall, f"{prefix}/windows/{window}/call-next", b"", called)
        if kind == "complete" and serving:
            hall, ticket = serving.popleft()

            def completed(status: int, answer: bytes) -> None:
                free_windows[hall].append(busy.pop(ticket))
                done.append((hall, ticket))

            return op(
                "complete", hall, f"/api/hall/tickets/{ticket}/step", complete_body, completed
            )
        if kind == "rate" and done:
            hall, ticket = done.popleft()
            body = json.dumps({"score": rng.randint(3, 5)}).encode()
            return op("rate", hall, f"/api/hall/tickets/{ticket}/rating", body, lambda *_: None)
        hall = rng.choice(s.halls)
        return op(
            "take",
            hall,
            f"/api/hall/halls/{hall}/tickets",
            take_body,
            lambda *_: waiting.append(hall),
        )

    cpu_at_start = (tree_cpu(cpu[0]), tree_cpu(cpu[1]))
    meter = CpuMeter()
    meter.start()
    started = time.perf_counter()
    n = 0
    while (now := time.perf_counter() - started) < seconds:
        due = n / rate
        if due > now:
            await asyncio.sleep(due - now)
        task = asyncio.create_task(next_op(pattern[n % len(pattern)]))
        n += 1
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        # An overloaded server is not waited for forever: what is left is counted.
        _, late = await asyncio.wait(pending, timeout=DRAIN)
        run.unfinished = len(late)
        for task in late:
            task.cancel()
    run.seconds = time.perf_counter() - started
    run.app_cpu = tree_cpu(cpu[0]) - cpu_at_start[0]
    run.db_cpu = tree_cpu(cpu[1]) - cpu_at_start[1]
    run.load_cpu = meter.seconds()
    run.board_events = sum(b.calls for b in streams)
    stop.set()
    await asyncio.sleep(1)
    for t in board_tasks:
        t.cancel()
    await asyncio.gather(*board_tasks, return_exceptions=True)
    for b in streams:
        b.close()
    pool.close()
    return run


def called_twice(p: Platform) -> int:
    with p.engine.connect() as c:
        return int(
            c.scalar(
                select(func.count()).select_from(
                    select(HallEvent.ticket_id)
                    .where(HallEvent.kind == "ticket_called")
                    .group_by(HallEvent.ticket_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            or 0
        )


def reset_queue(p: Platform) -> None:
    with p.engine.begin() as c:
        for table in ("hall_events", "hall_tickets", "outbox_messages", "audit_entries"):
            c.execute(text(f"DELETE FROM {table}"))


def report(name: str, r: Run) -> None:
    print(
        f"{name}: {r.ops} ops in {r.seconds:.1f} s = {r.ops / r.seconds:.0f} ops/s, errors {r.errors}"
    )
    print(
        f"  call-next p50 {r.pct('call', 0.5):.1f} ms  p99 {r.pct('call', 0.99):.1f} ms; all ops p50 {r.pct(None, 0.5):.1f} ms  p99 {r.pct(None, 0.99):.1f} ms"
    )
    print(
        f"  boards subscribed {r.boards_connected}, board events {r.board_events}, "
        f"board polls {r.board_polls}, unfinished {r.unfinished} "
        f"{dict(+r.in_flight) if r.unfinished else ''}"
    )
    if r.ops and r.app_cpu:
        per_op = (r.app_cpu + r.db_cpu) / r.ops * 1000
        print(
            f"  CPU per operation {per_op:.1f} ms (server {r.app_cpu / r.ops * 1000:.1f}, "
            f"database {r.db_cpu / r.ops * 1000:.1f}): 2 idle cores would serve at most "
            f"{2000 / per_op:.0f} ops/s"
        )
    if r.ops:
        print(
            f"  load generator CPU {r.load_cpu:.1f} s = {r.load_cpu / r.seconds * 100:.0f} % "
            f"of one core, {r.load_cpu / r.ops * 1000:.2f} ms per operation (boards included)"
        )
    for status, first in sorted(r.refusals.items()):
        print(f"  {f'refused {status}' if status else 'transport error'}: {first}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--halls", type=int, default=1000)
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = (
        os.environ.get("SAFEGRID_DATABASE_URL")
        or f"sqlite:///{Path('var/tmp/hall-bench.db').resolve()}"
    )
    Path("var/tmp").mkdir(parents=True, exist_ok=True)
    p = scratch_platform(url)
    s = seed(p, args.halls)
    print(
        f"seeded {len(s.halls)} halls × {WINDOWS} windows on {p.engine.dialect.name}; load avg {os.getloadavg()}"
    )
    database = postmaster_pid(p)
    results = {}
    for name, naive_mode in (
        ("ours (SKIP LOCKED claim + SSE boards)", False),
        ("naive (FOR UPDATE + polling boards)", True),
    ):
        reset_queue(p)
        boards = min(args.boards, len(s.halls))
        with server(url, args.workers, Path("var/tmp/hall-bench-server.log")) as (base, pid):
            results[name] = r = asyncio.run(
                drive(base, s, args.rate, args.seconds, boards, naive_mode, (pid, database))
            )
        print(f"load avg after: {os.getloadavg()}")
        report(name, r)
        twice = called_twice(p)
        print(f"  tickets called twice: {twice}")
    ours, base = results.values()
    print(
        f"ratio call-next p99 naive/ours: {base.pct('call', 0.99) / ours.pct('call', 0.99):.2f}×; "
        f"sustained ours/naive: {(ours.ops / ours.seconds) / (base.ops / base.seconds):.2f}×"
    )
    p.dispose()


if __name__ == "__main__":
    main()
