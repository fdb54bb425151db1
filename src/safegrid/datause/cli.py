"""``safegrid export``: watermarked exports and tracing a file back to its export (DATA-5)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, err, run
from safegrid.datause import exports
from safegrid.datause.schemas import ExportCreate
from safegrid.datause.trace import do_trace
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.security.policy import Perm

app = typer.Typer(help="导出与水印追溯 / exports and watermark tracing", no_args_is_help=True)
out = Console()

FILE_CHANGED_EXIT = 3


@app.command("customers")
def export_customers(
    dest: Path = typer.Argument(..., help="file to write (.csv or .xlsx)"),
    request_id: int | None = typer.Option(None, help="approved export request (unmasked fields)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """Export the customer list of your area, masked unless an export grant covers a field."""
    actor = acting_with(as_user, Perm.EXPORT_CUSTOMERS)
    fmt = "xlsx" if dest.suffix.lower() == ".xlsx" else "csv"
    data = ExportCreate(format=fmt, request_id=request_id)
    file = run(lambda: exports.do_export_customers(get_platform().uow(actor), data))
    dest.write_bytes(file.content)
    out.print(f"export #{file.record.id}: {file.record.row_count} rows → {dest}")


@app.command("trace")
def trace(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="an exported file"),
    as_user: str | None = AS_OPTION,
) -> None:
    """Read a file's watermark back: who exported it, when, under which request."""
    actor = acting_with(as_user, Perm.ACCESS_LOG_VIEW)
    platform = get_platform()
    content = file.read_bytes()
    result = run(
        lambda: do_trace(platform.uow(actor), content, platform.settings.secret_key, str(file))
    )
    local = result.at.astimezone(BUSINESS_TZ)
    out.print(f"export:    #{result.export_id}")
    out.print(f"operator:  {result.operator} (ID {result.operator_id})")
    out.print(f"time:      {local:%Y-%m-%d %H:%M:%S} (Beijing)")
    out.print(f"request:   {result.request_id or '—'}")
    if not result.file_unchanged:
        err.print(
            "[yellow]warning:[/yellow] 文件内容与导出时不同 / the file's content changed after "
            "export (watermark genuine)"
        )
        raise typer.Exit(FILE_CHANGED_EXIT)
    out.print("file:      identical to the exported file")
