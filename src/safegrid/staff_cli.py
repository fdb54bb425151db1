"""``safegrid staff``: open staff accounts from the command line (audited as the admin)."""

from __future__ import annotations

import typer
from rich.console import Console

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting, err, run
from safegrid.security import accounts, passwords
from safegrid.security.policy import Perm, Post

app = typer.Typer(help="员工账号 / staff accounts", no_args_is_help=True)
out = Console()


@app.command()
def add(
    username: str = typer.Option(...),
    real_name: str = typer.Option(...),
    post: Post = typer.Option(...),
    org_unit_id: int = typer.Option(...),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="initial password; must be changed at first login",
    ),
    as_user: str = AS_OPTION,
) -> None:
    """Open an account (the holder changes the password and enrols TOTP at first login)."""
    actor = acting(as_user)
    if not actor.can(Perm.STAFF_MANAGE):
        err.print(f"[red]error:[/red] {as_user} may not manage staff")
        raise typer.Exit(1)
    settings = get_platform().settings

    def _do() -> int:
        return accounts.do_create_staff(
            get_platform().uow(actor),
            accounts.NewStaff(username, real_name, post, org_unit_id, password),
            hasher=passwords.hasher(settings.argon2_time_cost, settings.argon2_memory_kib),
        )

    out.print(f"created account {run(_do)} ({username})")
