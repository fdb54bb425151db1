"""``safegrid readings``: imports, the AMI feed and closing a month, through the same
services as the console and API, as a named (audited) staff account."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting, acting_with, err, run
from safegrid.readings import services
from safegrid.readings.corrections import do_correct_usage
from safegrid.readings.schemas import ImportReport
from safegrid.security.policy import Perm

app = typer.Typer(help="抄表 / meter readings", no_args_is_help=True)
out = Console()
SHOWN_ERRORS = 50


class _Bar:
    """The services' progress protocol drawn as one Rich bar per stage."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def stage(self, label: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.task = self.progress.add_task(label, total=max(total, 1))

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=out,
    )


def _print(report: ImportReport) -> None:
    if report.accepted:
        out.print(
            f"[green]已导入 / imported[/green] {report.filename}: {report.readings} readings "
            f"from {report.rows} rows, batch {report.batch_id}, {report.flagged} flagged "
            f"{report.flag_counts or ''} in {report.seconds:.1f} s"
        )
        return
    table = Table(title=f"{report.filename}: {report.error_count} problems — nothing written")
    for col in ("row", "field", "code", "reason"):
        table.add_column(col)
    for e in report.errors[:SHOWN_ERRORS]:
        table.add_row(str(e.row), e.field, e.code, e.message)
    err.print(table)
    if report.error_count > SHOWN_ERRORS:
        err.print(f"… and {report.error_count - SHOWN_ERRORS} more: {report.error_counts}")
    raise typer.Exit(1)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_user: str = AS_OPTION,
) -> None:
    """Import register readings from CSV or Excel — all of the file, or none of it."""
    actor = acting(as_user)
    data = file.read_bytes()
    with _progress() as progress:
        report = run(
            lambda: services.do_import_readings(
                get_platform().uow(actor), file.name, data, _Bar(progress)
            )
        )
    _print(report)


@app.command("ami-ingest")
def ami_ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_user: str = AS_OPTION,
) -> None:
    """Ingest an AMI interval file (Parquet or CSV: asset_no, interval_start, kwh)."""
    actor = acting(as_user)
    with _progress() as progress:
        report = run(
            lambda: services.do_ingest_ami(
                get_platform().uow(actor), file.name, file, _Bar(progress)
            )
        )
    _print(report)


@app.command("close-period")
def close_period(
    period: str = typer.Option(..., help="YYYY-MM"),
    as_user: str = AS_OPTION,
) -> None:
    """Freeze the month's usage of every meter in your scope; then bills may be run."""
    actor = acting(as_user)
    summary = run(lambda: services.do_close_period(get_platform().uow(actor), period))
    if summary.already_closed:
        out.print(f"{period} 已关闭 / is already closed — nothing to do")
        return
    out.print(
        f"[green]{period} 已关闭 / closed[/green]{' (utility-wide)' if summary.utility_wide else ''}: "
        f"{summary.meters} meters — {summary.from_daily} from daily readings, "
        f"{summary.from_registers} from register reads, {summary.estimated} estimated"
    )


@app.command("correct-usage")
def correct_usage(
    meter: str = typer.Option(..., help="meter asset number"),
    period: str = typer.Option(..., help="the closed month, YYYY-MM"),
    kwh: Decimal = typer.Option(..., help="the month's corrected kWh"),
    reason: str = typer.Option(..., help="what was wrong (audited)"),
    peak: Decimal | None = typer.Option(None, help="peak kWh (time-of-use meters)"),
    valley: Decimal | None = typer.Option(None, help="valley kWh (time-of-use meters)"),
    as_user: str = AS_OPTION,
) -> None:
    """Correct a closed month's frozen usage; then `safegrid billing reprice` prices its
    bills from that month on again (退补)."""
    actor = acting_with(as_user, Perm.READINGS_CLOSE)
    run(
        lambda: do_correct_usage(
            get_platform().uow(actor), meter, period, kwh, reason, peak_kwh=peak, valley_kwh=valley
        )
    )
    out.print(
        f"[green]{meter} {period} 电量已更正 / usage corrected: {kwh} kWh[/green] — re-price its "
        f"bills with `safegrid billing reprice --account … --from {period}`"
    )


@app.command("periods")
def periods(as_user: str = AS_OPTION) -> None:
    """This month and the twelve before it, with their status in your scope."""
    actor = acting(as_user)
    rows = run(lambda: services.list_periods(get_platform().uow(actor, readonly=True)))
    table = Table(title="抄表期 / reading periods")
    for col in ("period", "status", "closed by", "usage rows"):
        table.add_column(col)
    for p in rows:
        table.add_row(p.period, p.status, p.closed_by or "", str(p.usage_rows))
    out.print(table)
