"""``safegrid terminals``: the field terminal registry from the command line (through the
same services, as a named staff account), and a terminal simulator speaking the device
API over HTTP, so the encrypted upload and the remote wipe can be shown on a live server.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, err, run
from safegrid.platform import clock
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.terminals import services
from safegrid.terminals.client import TerminalClient
from safegrid.terminals.schemas import TerminalCreate

app = typer.Typer(help="现场终端 / field terminals (DATA-7)", no_args_is_help=True)
out = Console()


@app.command("list")
def list_(
    status: str = typer.Option(None, help="active | lost | wiped | retired"),
    page: int = typer.Option(1, min=1),
    as_user: str = AS_OPTION,
) -> None:
    """Terminals visible to the acting account."""
    actor = acting_with(as_user, Perm.TERMINALS_VIEW)
    result = run(
        lambda: services.list_terminals(
            get_platform().uow(actor, readonly=True), status, PageQuery(page=page, size=50)
        )
    )
    table = Table(title=f"终端 terminals — {result.total} total, page {result.page}/{result.pages}")
    for col in ("id", "terminal id", "serial", "model", "reader", "status", "last seen"):
        table.add_column(col)
    for t in result.items:
        seen = f"{t.last_seen_at:%Y-%m-%d %H:%M}" if t.last_seen_at else "never"
        table.add_row(
            str(t.id), t.code, t.serial_no, t.model, t.reader_username or "", t.status.value, seen
        )
    out.print(table)


@app.command()
def register(
    serial_no: str = typer.Option(..., help="as printed on the device"),
    model: str = typer.Option(..., help="device model"),
    reader: str = typer.Option(None, help="username of the meter reader it is issued to"),
    reader_id: int = typer.Option(None, help="… or his staff id"),
    org_unit_id: int = typer.Option(None, help="owning unit (default: the reader's)"),
    as_user: str = AS_OPTION,
) -> None:
    """Register a terminal and print its credentials — the only time they are shown."""
    actor = acting_with(as_user, Perm.TERMINALS_MANAGE)
    if not reader and not reader_id:
        err.print("[red]error:[/red] name the meter reader: --reader USERNAME or --reader-id ID")
        raise typer.Exit(2)

    def _do() -> Any:
        platform = get_platform()
        chosen = (
            services.reader_by_username(platform.uow(actor, readonly=True), reader)
            if reader
            else None
        )
        data = TerminalCreate.model_validate(
            {
                "serial_no": serial_no,
                "model": model,
                "org_unit_id": org_unit_id or (chosen.org_unit_id if chosen else None),
                "reader_id": chosen.id if chosen else reader_id,
            }
        )
        return services.do_register_terminal(platform.uow(actor), data)

    creds = run(_do)
    out.print_json(
        json.dumps(
            {
                "id": creds.terminal.id,
                "terminal_id": creds.terminal_id,
                "secret": creds.secret,
                "upload_key": creds.upload_key,
                "reader": creds.terminal.reader_username,
            }
        )
    )
    err.print("[yellow]shown once: the server keeps only a digest and a wrapped key[/yellow]")


@app.command("mark-lost")
def mark_lost(
    terminal_id: int = typer.Argument(..., help="registry id"),
    reason: str = typer.Option(..., help="why (kept in the audit log)"),
    as_user: str = AS_OPTION,
) -> None:
    """Revoke the credentials, queue a wipe command, alert the unit's managers."""
    actor = acting_with(as_user, Perm.TERMINALS_MANAGE)
    t = run(lambda: services.do_mark_lost(get_platform().uow(actor), terminal_id, reason))
    out.print(f"{t.code}: {t.status.value}, credentials revoked, wipe command queued")


def _parse_reading(text: str) -> dict[str, str]:
    """``ASSET=REGISTER`` or ``ASSET=REGISTER@YYYY-MM-DD`` (default: today, Beijing)."""
    asset, sep, rest = text.partition("=")
    total, _, day = rest.partition("@")
    if not sep or not asset or not total:
        raise typer.BadParameter(f"expected ASSET=REGISTER[@YYYY-MM-DD], got {text!r}")
    read_on = date.fromisoformat(day) if day else clock.business_day()
    return {"asset_no": asset, "read_on": read_on.isoformat(), "total": total}


@app.command()
def simulate(
    server: str = typer.Option("http://127.0.0.1:8000", help="SafeGrid server URL"),
    terminal_id: str = typer.Option(..., "--terminal-id", help="printed at registration"),
    secret: str = typer.Option(..., help="printed at registration"),
    key: str = typer.Option(..., help="upload key (base64), printed at registration"),
    reader: str = typer.Option(None, help="meter reader signing in on the terminal"),
    password: str = typer.Option(None, help="the reader's password"),
    otp: str = typer.Option(None, help="the reader's one-time code"),
    reading: list[str] = typer.Option([], help="ASSET=REGISTER[@YYYY-MM-DD]; repeat for a batch"),
    batch_id: str = typer.Option(None, help="reuse to show that a replay inserts nothing"),
) -> None:
    """Act as a handheld: sign the reader in, seal and upload readings, then poll the
    command queue and carry out (and acknowledge) a wipe."""
    client = TerminalClient.connect(server, terminal_id, secret, key)
    try:
        if reading:
            if not (reader and password and otp):
                err.print("[red]error:[/red] uploads need --reader, --password and --otp")
                raise typer.Exit(2)
            client.sign_in_reader(reader, password, otp)
            body = client.seal([_parse_reading(r) for r in reading], batch_id)
            out.print(f"sealed batch {body['batch_id']} (SM4-GCM, {len(body['sealed'])} chars)")
            resp = client.upload_sealed(body)
            out.print(f"upload → {resp.status_code} {resp.text}")
        handled = client.obey()  # a revoked-and-wiped terminal gets 401 here
        for command in handled:
            out.print(f"command {command['id']} {command['kind']}: carried out and acknowledged")
        if not handled:
            out.print("no command pending")
    except httpx.HTTPError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
