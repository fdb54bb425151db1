"""``safegrid payments inbox``: the durable callback inbox (ADR 0013) — how much is
waiting, and the applier itself (``safegrid serve`` starts one as its own process)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

import typer
from rich.console import Console

from safegrid.bootstrap import get_platform
from safegrid.payments.online.callbacks import applier as inbox_applier
from safegrid.platform.clock import BUSINESS_TZ

app = typer.Typer(help="支付 / payments", no_args_is_help=True)
inbox_app = typer.Typer(help="回调收件箱 / the durable callback inbox", no_args_is_help=True)
app.add_typer(inbox_app, name="inbox")
out = Console()


@inbox_app.command("status")
def inbox_status() -> None:
    """Acknowledged callbacks waiting for the ledger, applied, refused and stuck; exit 1
    when any row is stuck (failed repeatedly: a person must look at it)."""
    s = inbox_applier.status(get_platform())
    oldest = s.oldest_pending.astimezone(BUSINESS_TZ).isoformat() if s.oldest_pending else "-"
    out.print(
        f"待入账 pending {s.pending} (oldest {oldest}) · 已入账 applied {s.applied} · "
        f"已拒绝 refused {s.refused} · 需人工 stuck {s.stuck}"
    )
    if s.stuck:
        raise typer.Exit(1)


@inbox_app.command("apply")
def inbox_apply(
    follow: bool = typer.Option(
        False, "--follow", help="keep applying as callbacks arrive, until stopped"
    ),
    nice: int = typer.Option(0, help="lower this process's CPU priority by this much first"),
) -> None:
    """Apply the acknowledged callbacks to the ledger (idempotent: safe to run next to the
    server's own applier)."""
    if nice:
        os.nice(nice)
    platform = get_platform()
    if not follow:
        out.print(f"applied {inbox_applier.drain(platform, timeout=3600)}")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        applied = inbox_applier.follow(platform, stop)
    out.print(f"applier stopped after {applied} callbacks")
