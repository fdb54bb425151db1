"""``safegrid collection``: the daily arrears work and monitoring from the command line,
through the same services, as a named (audited) staff account."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting, run
from safegrid.collection import services
from safegrid.collection.jobs import sweep_reversals
from safegrid.collection.schemas import JobResult
from safegrid.notifications.channel import gateway_from_settings
from safegrid.notifications.services import do_dispatch
from safegrid.notifications.settings import get_notification_settings
from safegrid.platform.errors import ValidationProblem

app = typer.Typer(help="收费与欠费 / collection and arrears", no_args_is_help=True)
out = Console()

DAY_OPTION = typer.Option(None, "--day", help="business day YYYY-MM-DD (default: today)")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        raise ValidationProblem(f"not a date: {value!r} (YYYY-MM-DD)", field="day") from None


@app.command("accrue-late-fees")
def accrue_late_fees(day: str = DAY_OPTION, as_user: str = AS_OPTION) -> None:
    """Accrue one day's late fees (idempotent per day) after applying pending reversals."""
    actor = acting(as_user)
    platform = get_platform()

    def _do() -> JobResult:
        sweep_reversals(platform, actor)
        return services.do_accrue_late_fees(platform.uow(actor), _day(day))

    result = run(_do)
    out.print_json(result.model_dump_json())


@app.command("send-reminders")
def send_reminders(day: str = DAY_OPTION, as_user: str = AS_OPTION) -> None:
    """Queue payment reminders due on the day (once per bill and stage)."""
    actor = acting(as_user)
    result = run(lambda: services.do_send_reminders(get_platform().uow(actor), _day(day)))
    out.print_json(result.model_dump_json())


@app.command()
def summary(period: str = typer.Option(..., help="YYYY-MM"), as_user: str = AS_OPTION) -> None:
    """Billed / collected / written off / outstanding by unit (rolled up)."""
    actor = acting(as_user)
    result = run(lambda: services.summary(get_platform().uow(actor, readonly=True), period))
    table = Table(title=f"收费监控 collection {period}")
    for col in ("unit", "bills", "billed", "collected", "written off", "outstanding", "rate %"):
        table.add_column(col, justify="left" if col == "unit" else "right")
    for u in result.units:
        table.add_row(
            "  " * u.depth + u.name,
            str(u.bills),
            str(u.billed),
            str(u.collected),
            str(u.written_off),
            str(u.outstanding),
            str(u.collection_rate or ""),
        )
    out.print(table)


@app.command("set-late-fee-rate")
def set_late_fee_rate(
    category: str = typer.Option(..., help="residential | commercial | industrial"),
    rate: str = typer.Option(..., help="per day, e.g. 0.001 for 0.1 %"),
    effective_from: str = typer.Option(..., help="YYYY-MM-DD"),
    as_user: str = AS_OPTION,
) -> None:
    """Add a version of a category's daily late-fee rate."""
    actor = acting(as_user)

    def _do() -> int:
        try:
            value = Decimal(rate)
        except InvalidOperation:
            raise ValidationProblem(f"not a number: {rate!r}", field="rate") from None
        day = _day(effective_from)
        assert day is not None
        return services.do_set_late_fee_rate(get_platform().uow(actor), category, value, day)

    out.print_json(data={"id": run(_do)})


@app.command("dispatch-notifications")
def dispatch_notifications(as_user: str = AS_OPTION) -> None:
    """Relay queued notifications to the configured SMS gateway (SAFEGRID_NOTIFY_*)."""
    actor = acting(as_user)
    gateway = gateway_from_settings(get_notification_settings())
    if gateway is None:
        out.print(
            "no gateway configured (SAFEGRID_NOTIFY_SMS_GATEWAY_URL); messages stay in the outbox"
        )
        raise typer.Exit(0)
    result = run(lambda: do_dispatch(get_platform().uow(actor), gateway))
    out.print_json(result.model_dump_json())
