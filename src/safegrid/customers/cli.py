"""``safegrid customers``: the archive from the command line, through the same services."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting, run
from safegrid.customers import services
from safegrid.customers.schemas import CustomerCreate
from safegrid.platform.paging import PageQuery

app = typer.Typer(help="客户档案 / customer archive", no_args_is_help=True)
out = Console()


@app.command("list")
def list_(
    q: str = typer.Option(None, "--q", "-q", help="name, number, mobile or ID number"),
    kind: str = typer.Option(None, help="resident | enterprise"),
    page: int = typer.Option(1, min=1),
    size: int = typer.Option(20, min=1, max=200),
    as_user: str = AS_OPTION,
) -> None:
    """List customers visible to the acting account (masked)."""
    actor = acting(as_user)
    result = run(
        lambda: services.search_customers(
            get_platform().uow(actor, readonly=True), q, kind, None, PageQuery(page=page, size=size)
        )
    )
    table = Table(title=f"客户 customers — {result.total} total, page {result.page}/{result.pages}")
    for col in ("id", "number", "name", "kind", "ID / credit code", "mobile", "unit"):
        table.add_column(col)
    for c in result.items:
        table.add_row(
            str(c.id),
            c.number,
            c.name,
            c.kind.value,
            c.id_number or c.credit_code or "",
            c.mobile or "",
            c.org_unit_name or "",
        )
    out.print(table)


@app.command()
def show(customer_id: int, as_user: str = AS_OPTION) -> None:
    """One customer with accounts, meters and contracts (masked), as JSON."""
    actor = acting(as_user)
    detail = run(
        lambda: services.get_customer(get_platform().uow(actor, readonly=True), customer_id)
    )
    out.print_json(detail.model_dump_json())


@app.command()
def add(
    kind: str = typer.Option(..., help="resident | enterprise"),
    name: str = typer.Option(...),
    org_unit_id: int = typer.Option(..., help="owning unit (must be inside your scope)"),
    address: str = typer.Option(...),
    id_number: str = typer.Option(None),
    credit_code: str = typer.Option(None),
    mobile: str = typer.Option(None),
    as_user: str = AS_OPTION,
) -> None:
    """Register a customer (validated exactly as in the API)."""
    actor = acting(as_user)

    def _do() -> int:
        data = CustomerCreate.model_validate(
            {
                "kind": kind,
                "name": name,
                "org_unit_id": org_unit_id,
                "address": address,
                "id_number": id_number,
                "credit_code": credit_code,
                "mobile": mobile,
            }
        )
        return services.do_register_customer(get_platform().uow(actor), data)

    customer_id = run(_do)
    out.print(json.dumps({"id": customer_id}))
