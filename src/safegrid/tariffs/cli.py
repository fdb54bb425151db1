"""``safegrid tariffs``: tariff configuration from the command line, through the services."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, run
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.security.policy import Perm
from safegrid.tariffs import services
from safegrid.tariffs.schemas import VersionCreate
from safegrid.tariffs.seed import do_seed_standard_tariffs

app = typer.Typer(help="电价 / tariffs", no_args_is_help=True)
out = Console()


def _price(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.4f}"


@app.command("list")
def list_(as_user: str = AS_OPTION) -> None:
    """Every tariff with its versions (the one in force today marked *)."""
    actor = acting_with(as_user, Perm.TARIFFS_VIEW)
    tariffs = run(lambda: services.list_tariffs(get_platform().uow(actor, readonly=True)))
    today = clock.business_day()
    table = Table(title="电价 tariffs")
    for col in ("code", "name", "category", "structure", "version", "from", "to", "base",
                "peak", "valley", "tiers kWh", "add-ons"):  # fmt: skip
        table.add_column(col)
    for t in tariffs:
        current = t.current(today)
        for v in t.versions:
            tiers = f"{v.tier1_limit}/{v.tier2_limit}" if v.tier1_limit is not None else "—"
            addons = f"{v.tier2_addon}/{v.tier3_addon}" if v.tier1_limit is not None else "—"
            table.add_row(
                t.code,
                t.name,
                t.category.value,
                t.structure.value,
                f"{v.id}{' *' if current and current.id == v.id else ''}",
                v.effective_from.isoformat(),
                v.effective_to.isoformat() if v.effective_to else "",
                _price(v.base_price),
                _price(v.peak_price),
                _price(v.valley_price),
                tiers,
                addons,
            )
    out.print(table)


@app.command("add-version")
def add_version(
    code: str = typer.Argument(..., help="tariff code, e.g. ZJ-RES"),
    effective_from: str = typer.Option(..., "--from", help="first day of a month, YYYY-MM-DD"),
    effective_to: str = typer.Option(None, "--to", help="last day of a month (default: open)"),
    base: str = typer.Option(..., help="base / flat / tier-1 price, yuan per kWh"),
    peak: str = typer.Option(None, help="peak price (time of use)"),
    valley: str = typer.Option(None, help="valley price (time of use)"),
    tier1: str = typer.Option(None, help="tier 1 limit, kWh"),
    tier2: str = typer.Option(None, help="tier 2 limit, kWh"),
    addon2: str = typer.Option("0", help="tier 2 add-on, yuan per kWh"),
    addon3: str = typer.Option("0", help="tier 3 add-on, yuan per kWh"),
    tier_year_start_month: int = typer.Option(1, min=1, max=12),
    close_current: bool = typer.Option(
        False, "--close-current", help="end the open version the month before"
    ),
    note: str = typer.Option(None),
    as_user: str = AS_OPTION,
) -> None:
    """Add a price version (validated exactly as in the API; overlaps are refused)."""
    actor = acting_with(as_user, Perm.TARIFFS_MANAGE)

    def _do() -> int:
        tariffs = services.list_tariffs(get_platform().uow(actor, readonly=True))
        tariff = next((t for t in tariffs if t.code == code), None)
        if tariff is None:
            raise NotFoundError(f"电价不存在 / no tariff with code {code}", field="code")
        data = VersionCreate.model_validate(
            {
                "effective_from": date.fromisoformat(effective_from),
                "effective_to": date.fromisoformat(effective_to) if effective_to else None,
                "base_price": base,
                "peak_price": peak,
                "valley_price": valley,
                "tier1_limit": tier1,
                "tier2_limit": tier2,
                "tier2_addon": addon2,
                "tier3_addon": addon3,
                "tier_year_start_month": tier_year_start_month,
                "close_current": close_current,
                "note": note,
            }
        )
        return services.do_add_tariff_version(get_platform().uow(actor), tariff.id, data)

    try:
        version_id = run(_do)
    except ValueError as exc:  # a malformed date
        out.print(f"[red]invalid date:[/red] {exc}")
        raise typer.Exit(1) from None
    out.print(json.dumps({"version_id": version_id}))


@app.command("seed")
def seed(as_user: str = AS_OPTION) -> None:
    """Create the standard Zhejiang tariffs that do not exist yet."""
    actor = acting_with(as_user, Perm.TARIFFS_MANAGE)
    created = run(lambda: do_seed_standard_tariffs(get_platform().uow(actor)))
    out.print(json.dumps({"created": created}))
