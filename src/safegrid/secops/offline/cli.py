"""``safegrid offline register|claim|serve|sync|drill`` (OPS-6, ADR 0035).

On the server an administrator registers a hall's node and gets its one-time pairing code
(or does it in the console, /secops/offline-nodes). On the hall's machine ``claim`` makes
the node's directory with that code, ``serve`` runs the same application there (the
"offline node" profile: the counter pages on the node's database) and ``sync`` sends the
confirmed receipts when the link is back.

The drill never touches the live database: it copies it (SQLite's online backup API, the
copy consistent while the server keeps serving) into a scratch file and runs there — a
hall with a cashier and a checker, customers with open bills, the server's application in
process behind a :class:`~safegrid.secops.offline.drill.Link`, the hall's node paired with
a one-time code over that link — then prints what it counted and deletes the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import httpx
import typer
import uvicorn
from rich.console import Console

from safegrid.app import create_app
from safegrid.bootstrap import Platform, get_platform
from safegrid.cli_support import AS_OPTION, acting_with, err, reported
from safegrid.config import Settings
from safegrid.secops.backup.sqlite import database_path
from safegrid.secops.offline import drill, typhoon
from safegrid.secops.offline import site as site_mod
from safegrid.secops.offline.nodes import do_register_node
from safegrid.security.policy import Perm

app = typer.Typer(help="离线营业厅 / offline hall (OPS-6)", no_args_is_help=True)
out = Console()


@app.command("register")
def register(
    hall_id: int = typer.Option(..., "--hall", help="the hall's org-unit id"),
    code: str = typer.Option(..., "--code", help="the node's name, e.g. FY-HALL-N1"),
    as_user: str | None = AS_OPTION,
) -> None:
    """Register a hall's node (an administrator): prints its one-time pairing code."""
    actor = acting_with(as_user, Perm.SECOPS_MANAGE)
    with reported():
        registered = do_register_node(get_platform().uow(actor), hall_id, code)
    out.print(
        f"pairing code: {registered.pairing_code} (valid until {registered.expires_at:%Y-%m-%d %H:%M} UTC)"
    )


@app.command("claim")
def claim(
    server: str = typer.Option(..., "--server", help="e.g. https://safegrid.example"),
    pairing_code: str = typer.Option(..., "--code", help="the one-time pairing code"),
    node_dir: Path = typer.Option(..., "--node-dir", help="the node's new directory"),
) -> None:
    """Pair this machine as the hall's node: its database, its key, the hall's rows."""
    with httpx.Client(base_url=server, timeout=300) as client, reported():
        site = site_mod.claim(node_dir, client, pairing_code)
    out.print(
        f"node {site.queue.pairing.node} paired; serve it: safegrid offline serve --node-dir {node_dir}"
    )


@app.command("serve")
def serve(
    node_dir: Path = typer.Option(..., "--node-dir", exists=True, file_okay=False),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """The counter on the hall's node: the same application, on the node's database."""
    platform = site_mod.NodeSite(node_dir).platform()
    uvicorn.run(create_app(platform), host=host, port=port, log_level="info")


@app.command("sync")
def sync(
    node_dir: Path = typer.Option(..., "--node-dir", exists=True, file_okay=False),
    server: str = typer.Option(..., "--server", help="e.g. https://safegrid.example"),
    token: str = typer.Option(..., "--token", envvar="SAFEGRID_TOKEN", help="a hall cashier's"),
) -> None:
    """Send the node's confirmed receipts; exit 3 while the link is still down."""
    site = site_mod.NodeSite(node_dir)
    with httpx.Client(base_url=server, timeout=60) as client, reported():
        results = site.sync(client, {"Authorization": f"Bearer {token}"})
    if results is None:
        err.print(f"link down: {len(site.queue.queued())} payments stay queued")
        raise typer.Exit(3)
    for r in results:
        out.print(f"{r['receipt_no']}  {r['status']}  {r.get('message') or ''}")


def _scratch_copy(live: Path, target: Path) -> None:
    with sqlite3.connect(live) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@app.command("drill")
def run_drill(
    offline_payments: int = typer.Option(4, "--offline", min=2, max=200),
) -> None:
    """The typhoon drill on a scratch copy of the database: cut, work offline, restore."""
    live = get_platform().settings
    if not live.is_sqlite:
        err.print(
            "[red]error:[/red] 演练在 SQLite 副本上运行 / the drill copies a SQLite "
            "database; on PostgreSQL run tests/integration/secops/test_offline_drill_postgres.py"
        )
        raise typer.Exit(2)
    root = Path(tempfile.mkdtemp(prefix="sg-offline-drill-"))
    try:
        _scratch_copy(database_path(live.database_url), root / "scratch.db")
        settings = Settings(
            env="dev",
            database_url=f"sqlite:///{root / 'scratch.db'}",
            scheduler_enabled=False,
            tmp_dir=root / "tmp",
        )
        platform = Platform(settings)
        with reported():
            report = typhoon.drill_on(platform, root / "node", offline_payments)
        platform.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    _print(report)
    if not report.ok:
        raise typer.Exit(1)


def _print(r: drill.DrillReport) -> None:
    out.print(
        f"link cut: {r.offline_taken} payments taken offline (gapless: {r.gapless}); "
        f"sync while down: {r.sync_while_down}"
    )
    out.print(
        f"link restored, first answer lost, resent: {r.applied} recorded "
        f"({r.replayed_after_lost_answer} replayed, {r.conflicts} conflict, {r.refused} "
        f"refused) in {r.sync_seconds:.2f} s; the same batch again: HTTP {r.batch_replay_status}"
    )
    out.print(
        f"ledger: {r.in_ledger_once}/{r.offline_taken} offline receipts exactly once, "
        f"lost {len(r.lost)}, doubled {len(r.doubled)}, numbers changed "
        f"{len(r.numbers_changed)}; paid-meanwhile credit {r.credited} yuan, open cases "
        f"{r.open_cases}"
    )
    out.print("[green]drill passed[/green]" if r.ok else "[red]drill FAILED[/red]")
