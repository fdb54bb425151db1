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

import secrets
import shutil
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
import typer
import uvicorn
from rich.console import Console
from sqlalchemy import insert, select

from safegrid.app import create_app
from safegrid.billing.models import Bill, BillKind, BillStatus
from safegrid.bootstrap import Platform, get_platform
from safegrid.cli_support import AS_OPTION, acting_with, err, reported
from safegrid.collection.balances import balances, yuan
from safegrid.config import Settings
from safegrid.customers.models import Account
from safegrid.payments.counter import halls
from safegrid.platform import clock
from safegrid.secops.backup.sqlite import database_path
from safegrid.secops.offline import drill
from safegrid.secops.offline import site as site_mod
from safegrid.secops.offline.in_process import AppClient
from safegrid.secops.offline.models import OfflineNode
from safegrid.secops.offline.nodes import do_register_node
from safegrid.security import authn
from safegrid.security.actor import Actor
from safegrid.security.cli_identity import actor_from_username
from safegrid.security.models import AccountStatus, AuthSession, SessionStage, StaffAccount
from safegrid.security.policy import Perm, Post
from safegrid.security.scope import unscoped

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


def _cast(platform: Platform) -> tuple[StaffAccount, StaffAccount, int]:
    """A cashier and a checker of one hall, and the hall."""
    with platform.uow(Actor.system("offline-drill", "cli"), readonly=True) as uow:
        skip = unscoped("the drill looks for a hall's pair of staff across the utility")
        paired = set(
            uow.session.scalars(
                select(OfflineNode.org_unit_id).where(OfflineNode.active), execution_options=skip
            )
        )
        staff = uow.session.scalars(
            select(StaffAccount)
            .where(
                StaffAccount.status == AccountStatus.ACTIVE,
                StaffAccount.post.in_([Post.CASHIER, Post.CHECKER]),
            )
            .order_by(StaffAccount.id),
            execution_options=skip,
        ).all()
        for cashier in (s for s in staff if s.post == Post.CASHIER):
            checker = next(
                (
                    s
                    for s in staff
                    if s.post == Post.CHECKER and s.org_unit_id == cashier.org_unit_id
                ),
                None,
            )
            # A hall that has a node keeps its own offline series: the drill pairs another.
            found = [h for h in halls.halls_of(uow, cashier.org_unit_id) if h.id not in paired]
            if checker is not None and found:
                return cashier, checker, found[0].id
    raise typer.BadParameter("no hall without an offline node has an active cashier and checker")


def _customers(platform: Platform, cashier: str, n: int) -> list[drill.Customer]:
    """Accounts of the cashier's scope, each with one open bill (its outstanding total)."""
    with platform.uow(actor_from_username(platform, cashier), readonly=True) as uow:
        rows = uow.session.execute(
            select(Bill.id, Account.id, Account.number)
            .join(Account, Account.id == Bill.account_id)
            .where(Bill.kind == BillKind.NORMAL, Bill.status == BillStatus.ISSUED)
            .order_by(Bill.id.desc())
            .limit(200)
        ).all()
        owed = balances(uow.session, [r[0] for r in rows])
    chosen: dict[int, drill.Customer] = {}
    for bill_id, account_id, number in rows:
        b = owed.get(bill_id)
        if b is None or account_id in chosen:
            continue
        due = yuan(b.principal_out_fen + b.fee_out_fen)
        if due > 0 and due <= 5000:
            chosen[account_id] = drill.Customer(number, account_id, bill_id, due)
    if len(chosen) < n:
        raise typer.BadParameter(f"the drill needs {n} accounts with an open bill in scope")
    return list(chosen.values())[:n]


def _bearer(platform: Platform, account_id: int) -> dict[str, str]:
    # A session on the scratch copy or the drill's node (both deleted after the drill).
    token, now = secrets.token_urlsafe(32), clock.now()
    with platform.engine.begin() as conn:
        conn.execute(
            insert(AuthSession).values(
                account_id=account_id,
                token_hash=authn.token_digest(token),
                kind="api",
                stage=SessionStage.FULL.value,
                ip=None,
                user_agent="offline drill",
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    return {"Authorization": f"Bearer {token}"}


@app.command("drill")
def run_drill(
    offline_payments: int = typer.Option(4, "--offline", min=2, max=200),
) -> None:
    """The typhoon drill on a scratch copy of the database: cut, work offline, restore."""
    live = get_platform().settings
    if not live.is_sqlite:
        err.print(
            "[red]error:[/red] 演练在 SQLite 副本上运行 / the drill copies a SQLite "
            "database; on PostgreSQL run tests/integration/secops/test_offline_hall.py"
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
        cashier, checker, hall_id = _cast(platform)
        customers = _customers(platform, cashier.username, offline_payments + 1)
        admin = Actor.system("offline-drill", "cli")
        code = do_register_node(platform.uow(admin), hall_id, f"DRILL-{secrets.token_hex(3)}")
        central = AppClient(platform)
        link = drill.Link(central)
        client = httpx.Client(transport=link, base_url="http://drill-server")
        site = site_mod.claim(root / "node", client, code.pairing_code)
        node_platform = site.platform()
        hall = drill.Hall(
            site,
            AppClient(node_platform),
            _bearer(node_platform, cashier.id),
            _bearer(node_platform, checker.id),
        )
        with reported():
            report = drill.run(
                platform, client, link, hall, _bearer(platform, cashier.id), customers=customers
            )
        node_platform.dispose()
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
