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
from safegrid.readings.correction_requests import (
    Proposal,
    do_decide_correction,
    do_propose_correction,
)
from safegrid.readings.corrections import Figures
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
        if report.queued or report.held:
            out.print(
                f"[yellow]{report.queued} 条读数超出合理范围，已提交复核 / readings queued for "
                f"review[/yellow] {report.queued_counts}; {report.held} held back "
                f"{report.held_counts}"
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


@app.command("propose-correction")
def propose_correction(
    meter: str = typer.Option(..., help="meter asset number"),
    period: str = typer.Option(..., help="the closed month, YYYY-MM"),
    kwh: Decimal = typer.Option(..., help="the month's corrected kWh"),
    reason: str = typer.Option(..., help="what was wrong (audited)"),
    evidence: str = typer.Option(..., help="what shows it: dial photo, site check record"),
    peak: Decimal | None = typer.Option(None, help="peak kWh (time-of-use meters)"),
    valley: Decimal | None = typer.Option(None, help="valley kWh (time-of-use meters)"),
    as_user: str = AS_OPTION,
) -> None:
    """Propose a correction of a closed month's frozen usage (退补, BILL-7); a second
    person approves it with `decide-correction`, which re-prices the bills."""
    actor = acting_with(as_user, Perm.READINGS_ENTER)
    proposal = Proposal(meter, period, Figures(kwh, peak, valley), reason, evidence)
    request_id = run(lambda: do_propose_correction(get_platform().uow(actor), proposal))
    out.print(
        f"[green]更正申请 #{request_id} 已提交，待审批 / correction #{request_id} proposed, "
        "waiting for approval[/green]"
    )


@app.command("decide-correction")
def decide_correction(
    request_id: int = typer.Argument(..., help="the correction request's number"),
    approve: bool = typer.Option(..., "--approve/--reject", help="approve (apply) or reject"),
    note: str = typer.Option("", help="the decision's note (required to reject)"),
    as_user: str = AS_OPTION,
) -> None:
    """Approve (apply and re-price the bills, one transaction) or reject a proposed
    correction; never by its proposer."""
    actor = acting_with(as_user, Perm.BILLS_REVERSE)
    decided = run(
        lambda: do_decide_correction(
            get_platform().uow(actor), request_id, approve=approve, note=note
        )
    )
    if approve:
        out.print(
            f"[green]更正 #{request_id} 已生效 / applied[/green]: {decided.repriced_months} "
            f"month(s) re-priced, difference {decided.repriced_difference}"
        )
    else:
        out.print(f"更正 #{request_id} 已驳回 / rejected")


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
