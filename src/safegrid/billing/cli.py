"""``safegrid billing``: bill runs, bills and reversals from the command line, through the
same services as the API and console, as a named (audited) staff account."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from safegrid.billing import queries, reprice, services
from safegrid.billing.schemas import DEFAULT_DUE_DAYS, AdjustmentOut, BillDetail
from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, run
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm

app = typer.Typer(help="核算出账 / bill runs and bills", no_args_is_help=True)
out = Console()

_PHASES = {
    "load": "读取电量 / loading usage",
    "compute": "计算电费 / pricing",
    "write": "出账 / issuing",
}


@app.command("run")
def run_command(
    period: str = typer.Option(..., help="billing month, e.g. 2026-10 (must be closed)"),
    due_days: int = typer.Option(DEFAULT_DUE_DAYS, min=1, max=90, help="days to pay"),
    as_user: str = AS_OPTION,
) -> None:
    """Issue the period's bills for every account in your scope (idempotent)."""
    actor = acting_with(as_user, Perm.BILLS_RUN)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=max(total, 1))
            bar.update(tasks[phase], completed=done, total=max(total, 1))

        result = run(
            lambda: services.do_run_bills(
                get_platform().uow(actor), period, due_days=due_days, progress=progress
            )
        )
    out.print(
        f"出账批次 run {result.id} · {result.period}: {result.bills_created} bills issued, "
        f"{result.skipped} already billed, total ¥{result.total_amount}"
    )


@app.command("runs")
def runs_command(
    period: str = typer.Option(None, help="only runs of this month"),
    page: int = typer.Option(1, min=1),
    as_user: str = AS_OPTION,
) -> None:
    """Bill runs visible to you, newest first."""
    actor = acting_with(as_user, Perm.BILLS_VIEW)
    result = run(
        lambda: queries.list_runs(
            get_platform().uow(actor, readonly=True), PageQuery(page=page, size=20), period
        )
    )
    table = Table(title=f"出账批次 bill runs — {result.total} total")
    for col in ("id", "period", "status", "by", "accounts", "bills", "skipped", "total ¥"):
        table.add_column(col)
    for r in result.items:
        table.add_row(
            str(r.id),
            r.period,
            r.status.value,
            r.started_by,
            str(r.accounts),
            str(r.bills_created),
            str(r.skipped),
            str(r.total_amount),
        )
    out.print(table)


def _print_bill(bill: BillDetail) -> None:
    out.print(
        f"[bold]{bill.number}[/bold] {bill.kind.value}/{bill.status.value} · 户号 account "
        f"{bill.account_number} {bill.customer_name} · 账期 period {bill.period}"
    )
    if bill.tariff:
        out.print(f"电价 tariff: {bill.tariff.name} ({bill.tariff.code})")
    if bill.tier_prior_kwh is not None:
        out.print(f"本阶梯年度此前电量 kWh earlier in the tier year: {bill.tier_prior_kwh}")
    if bill.repriced is not None:
        out.print(
            f"退补重开 re-issued after a correction: replaces bill {bill.repriced.original_bill_id}"
            f" ({bill.repriced.reason})"
        )
    table = Table()
    for col in ("#", "item", "kWh", "price ¥/kWh", "amount ¥"):
        table.add_column(col)
    for line in bill.lines:
        table.add_row(
            str(line.line_no), line.description, str(line.kwh), str(line.price), str(line.amount)
        )
    out.print(table)
    out.print(
        f"电量 {bill.kwh} kWh · 合计 exact {bill.exact_amount} · 应缴 due [bold]¥{bill.amount}"
        f"[/bold] by {bill.due_date}"
    )
    if bill.adjustments:
        _print_adjustments("退补明细 adjustments after a correction", bill.adjustments)


def _print_adjustments(title: str, adjustments: list[AdjustmentOut]) -> None:
    table = Table(title=title)
    for col in ("month", "kWh billed", "kWh now", "billed ¥", "re-priced ¥", "difference ¥"):
        table.add_column(col)
    for a in adjustments:
        table.add_row(
            a.period,
            str(a.original_kwh),
            str(a.repriced_kwh),
            str(a.original_amount),
            str(a.repriced_amount),
            f"{a.difference:+}",
        )
    out.print(table)


@app.command("show")
def show(bill_id: int, as_user: str = AS_OPTION) -> None:
    """One bill, line by line."""
    actor = acting_with(as_user, Perm.BILLS_VIEW)
    _print_bill(run(lambda: queries.get_bill(get_platform().uow(actor, readonly=True), bill_id)))


@app.command("reverse")
def reverse(
    bill_id: int,
    reason: str = typer.Option(..., help="why the bill is reversed (audited)"),
    as_user: str = AS_OPTION,
) -> None:
    """Cancel an issued bill by a reversal bill; the next run bills the account again."""
    actor = acting_with(as_user, Perm.BILLS_REVERSE)
    reversal_id = run(lambda: services.do_reverse_bill(get_platform().uow(actor), bill_id, reason))
    _print_bill(
        run(lambda: queries.get_bill(get_platform().uow(actor, readonly=True), reversal_id))
    )


@app.command("reprice")
def reprice_command(
    account: list[str] = typer.Option(..., help="account number (户号); repeat for several"),
    from_period: str = typer.Option(..., "--from", help="the corrected month, e.g. 2026-03"),
    reason: str = typer.Option(..., help="what was corrected (audited, on the reversal bills)"),
    as_user: str = AS_OPTION,
) -> None:
    """退补: price the accounts' billed months from --from on again after a correction;
    months whose charge changed are reversed and re-billed (idempotent)."""
    actor = acting_with(as_user, Perm.BILLS_REVERSE)
    result = run(
        lambda: reprice.do_reprice_bills(get_platform().uow(actor), account, from_period, reason)
    )
    if not result.adjustments:
        out.print(
            f"无需退补 nothing changed: {result.months_checked} billed months from "
            f"{result.from_period} cost what was billed"
        )
        return
    _print_adjustments(
        f"退补 re-priced from {result.from_period}: {len(result.adjustments)} months",
        result.adjustments,
    )
    out.print(
        f"差额合计 difference [bold]¥{result.difference:+}[/bold]; the next bill of each account "
        f"shows these lines"
    )
