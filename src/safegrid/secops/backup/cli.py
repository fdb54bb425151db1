"""``safegrid backup run|list|verify|restore|drill`` (OPS-4). Run on the database server by
its operator, as the system (named ``system:backup`` in the audit log)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import err, reported
from safegrid.secops.backup import service, store
from safegrid.secops.backup.sealed import BackupCheckError
from safegrid.secops.backup.settings import backup_settings
from safegrid.security.actor import Actor

app = typer.Typer(help="备份与恢复 / backups and restores (OPS-4)", no_args_is_help=True)
out = Console()
ACTOR = Actor.system("backup", "cli")


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        err.print("[red]error (--to):[/red] 时间须带时区 / give a timezone, e.g. +08:00")
        raise typer.Exit(2)
    return at


@app.command("run")
def run_backup() -> None:
    """Back up now (full), verify the file after writing, drop backups past retention."""
    with reported():
        m = service.do_run_backup(get_platform(), ACTOR)
    out.print(f"backup {m.id}: {m.size:,} bytes encrypted, verified {m.verified_at}")


@app.command("list")
def list_backups() -> None:
    """Backups in the backup directory (the manifests), oldest first."""
    table = Table("id", "backend", "created (UTC)", "bytes", "verified")
    for m in store.load_all(backup_settings().dir):
        table.add_row(m.id, m.backend, m.created_at[:19], f"{m.size:,}", m.verified_at or "—")
    out.print(table)


@app.command()
def verify(backup_id: str) -> None:
    """Decrypt a backup and compare it with its manifest. Exit 1 if it fails its check."""
    try:
        with reported():
            m = service.do_verify_backup(get_platform(), ACTOR, backup_id)
    except BackupCheckError as exc:
        err.print(f"[red]backup check FAILED:[/red] {exc}")
        raise typer.Exit(1) from None
    out.print(f"backup {m.id}: intact (sha256 {m.sha256[:16]}…)")


@app.command()
def restore(
    target: Path = typer.Option(..., "--target", help="new file (SQLite) or empty directory"),
    to: str | None = typer.Option(None, "--to", help="ISO time with zone; default: latest"),
) -> None:
    """Restore into a new location (never onto the live database), up to --to."""
    with reported():
        r = service.do_restore(get_platform(), ACTOR, target, _time(to))
    out.print(f"restored backup {r.manifest.id} into {r.target} ({r.url.split('@')[-1]})")
    if r.url.startswith("postgresql"):
        out.print("the restored cluster is running; stop it with pg_ctl -D TARGET stop")


@app.command()
def drill(to: str | None = typer.Option(None, "--to")) -> None:
    """Restore drill: restore into scratch, verify the audit chain and row counts, print
    the measured recovery time (RTO)."""
    with reported():
        d = service.do_restore_drill(get_platform(), ACTOR, _time(to))
    rows = sum(d.counts.values())
    out.print(
        f"restore drill of {d.backup_id}: audit chain "
        f"{'intact' if d.chain_ok else 'BROKEN'} ({d.chain_checked} entries), row counts "
        f"{'match' if d.counts_ok else 'DIFFER'} ({rows:,} rows); RTO {d.rto_seconds:.1f} s "
        "(limit 4 h)"
    )
    if not (d.chain_ok and d.counts_ok):
        raise typer.Exit(1)
