"""``safegrid db``: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from safegrid.bootstrap import get_platform

app = typer.Typer(help="数据库 / database schema", no_args_is_help=True)
console = Console()


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target Alembic revision")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    platform = get_platform()
    platform.migrate(revision)
    console.print(
        f"[green]database at {revision}[/green]: {_safe_url(platform.settings.database_url)}"
    )


def _safe_url(url: str) -> str:
    # Never echo a password from the URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
    return url
