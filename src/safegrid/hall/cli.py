"""``safegrid hall``: rebuild the monitor from the event store and compare it with the live
state (HALL-8), close the day (HALL-2), add a feed subscriber (HALL-7) — through the same
services, as a named staff account."""

from __future__ import annotations

import json
import time

import httpx
import typer
from rich.console import Console

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, err, run
from safegrid.hall import days, feed, monitor, terminals
from safegrid.hall.schemas import FeedSubscriberCreate
from safegrid.platform.uow import UnitOfWork
from safegrid.security.policy import Perm

app = typer.Typer(help="营业厅 / business halls (HALL-1..9)", no_args_is_help=True)
out = Console()


@app.command("rebuild-monitor")
def rebuild_monitor(hall_id: int, as_user: str = AS_OPTION) -> None:
    """Replay today's stored events into the monitor's state and compare with the live one
    (exit 1 when they differ)."""
    actor = acting_with(as_user, Perm.HALL_VIEW)

    def both(uow: UnitOfWork) -> tuple[monitor.HallState, monitor.HallState]:
        with uow:
            return monitor.rebuild(uow, hall_id), monitor.live(uow, hall_id)

    rebuilt, live = run(lambda: both(get_platform().uow(actor, readonly=True)))
    out.print_json(json.dumps(rebuilt.comparable(), ensure_ascii=False, default=str))
    if rebuilt.comparable() != live.comparable():
        err.print(
            "[red]重放结果与实时状态不一致 / the replayed state differs from the live one[/red]"
        )
        out.print_json(json.dumps(live.comparable(), ensure_ascii=False, default=str))
        raise typer.Exit(1)
    out.print("重放结果与实时状态一致 / agrees with the live state")


@app.command("close-day")
def close_day(as_user: str = AS_OPTION) -> None:
    """Expire today's open tickets in the halls you see and refresh service-time statistics."""
    actor = acting_with(as_user, Perm.HALL_MANAGE)
    result = run(lambda: days.do_close_day(get_platform().uow(actor)))
    out.print(f"expired {result['expired']} tickets, {result['stats']} service-time averages")


@app.command("feed-add")
def feed_add(
    name: str = typer.Option(..., help="subscriber name, e.g. hz-command-centre"),
    org_unit_id: int = typer.Option(..., help="the subtree it may read"),
    webhook_url: str = typer.Option(None, help="push pages here (signed), else pull only"),
    as_user: str = AS_OPTION,
) -> None:
    """Register an outside system reading the hall feed; prints its credential once."""
    actor = acting_with(as_user, Perm.HALL_MANAGE)
    data = FeedSubscriberCreate(name=name, org_unit_id=org_unit_id, webhook_url=webhook_url)
    made = run(lambda: feed.do_create_subscriber(get_platform().uow(actor), data))
    out.print(f"subscriber {made.id} {made.name}")
    out.print(f"token (Authorization: Bearer …, shown once): {made.token}")
    out.print(f"signing secret (shown once): {made.signing_secret}")


@app.command("terminal-register")
def terminal_register(
    hall_id: int = typer.Option(...),
    serial_no: str = typer.Option(...),
    vendor: str = typer.Option(...),
    model: str = typer.Option(...),
    alert_phone: str = typer.Option(..., help="duty phone for fault SMS"),
    as_user: str = AS_OPTION,
) -> None:
    """Register a self-service terminal; prints its code and secret once."""
    actor = acting_with(as_user, Perm.HALL_MANAGE)
    data = terminals.TerminalCreate(
        hall_id=hall_id, serial_no=serial_no, vendor=vendor, model=model, alert_phone=alert_phone
    )
    made = run(lambda: terminals.do_register(get_platform().uow(actor), data))
    out.print(f"terminal {made.id} code {made.code}")
    out.print(f"secret (shown once): {made.secret}")


@app.command("terminal-sim")
def terminal_sim(
    server: str = typer.Option("http://127.0.0.1:8000"),
    code: str = typer.Option(...),
    secret: str = typer.Option(...),
    heartbeats: int = typer.Option(3, min=0),
    interval: float = typer.Option(terminals.MIN_HEARTBEAT_SECONDS + 1, min=0),
    fault: str = typer.Option(None, help="CODE:description, reported after the heartbeats"),
) -> None:
    """Act as a vendor's terminal over the documented HTTP protocol: heartbeats, then a
    fault report."""
    headers = {"Authorization": f"Terminal {code}:{secret}"}
    with httpx.Client(base_url=server, headers=headers, timeout=10) as client:
        for n in range(heartbeats):
            if n:
                time.sleep(interval)
            resp = client.post("/api/hall/device/heartbeat", json={})
            out.print(f"heartbeat {n + 1}: HTTP {resp.status_code} {resp.text}")
            if resp.status_code == 401:
                raise typer.Exit(1)
        if fault:
            fault_code, _, description = fault.partition(":")
            resp = client.post(
                "/api/hall/device/faults",
                json={"code": fault_code, "description": description or fault_code},
            )
            out.print(f"fault: HTTP {resp.status_code} {resp.text}")
            if not resp.is_success:
                raise typer.Exit(1)
