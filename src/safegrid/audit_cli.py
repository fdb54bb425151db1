"""``safegrid audit``: verify the tamper-evident chain (AUD-2)."""

from __future__ import annotations

import typer
from rich.console import Console

from safegrid.bootstrap import get_platform
from safegrid.security import audit

app = typer.Typer(help="审计 / audit log", no_args_is_help=True)
out = Console()


@app.callback()
def _group() -> None:
    """Audit log commands (kept a group so more subcommands can join ``verify``)."""


@app.command()
def verify() -> None:
    """Check every link of the audit chain; name the first broken entry. Exit 1 if broken."""
    with get_platform().engine.connect() as conn:
        result = audit.verify(conn)
    if result.ok:
        out.print(f"[green]audit chain intact[/green]: {result.checked} entries verified")
        return
    out.print(
        f"[red]audit chain BROKEN at entry {result.broken_seq}[/red]: {result.reason} "
        f"({result.checked} entries before it verified)"
    )
    raise typer.Exit(1)
