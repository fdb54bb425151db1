"""``safegrid statements``: parse a bank statement file (nothing stored) or import it, as a
named (audited) staff account, through the same services as the console."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from safegrid.bootstrap import get_platform
from safegrid.cli_support import AS_OPTION, acting_with, err, run
from safegrid.reconciliation import cases, formats, matching, reports, statements
from safegrid.reconciliation.models import CaseCause
from safegrid.security.policy import Perm

app = typer.Typer(help="银行对账单 / bank statements (REC-1)", no_args_is_help=True)
out = Console()
BANK_OPTION = typer.Option(
    None, "--bank", help="column map of a CSV/Excel statement (e.g. icbc, city_bank)"
)


def _bytes(path: Path) -> bytes:
    if not path.is_file():
        err.print(f"[red]error:[/red] 文件不存在 / no such file: {path}")
        raise typer.Exit(2)
    return path.read_bytes()


@app.command("parse")
def parse(
    file: Path,
    as_json: bool = typer.Option(False, "--json", help="print the statements as JSON"),
    bank: str | None = BANK_OPTION,
) -> None:
    """What the file holds, without importing it. Problems the import would refuse
    (balances that do not reconcile…) are printed on stderr."""
    parsed = run(lambda: formats.parse(file.name, _bytes(file), bank=bank))
    if as_json:
        typer.echo(json.dumps(parsed.as_json(), ensure_ascii=False, indent=2))
    else:
        for s in parsed.statements:
            out.print(
                f"{parsed.format} {s.account} {s.statement_ref}: {s.opening_balance} → "
                f"{s.closing_balance} {s.currency}, {len(s.entries)} entries"
            )
    try:
        formats.check(parsed)
    except Exception as exc:  # the import's check, reported but not fatal for a preview
        err.print(f"[yellow]导入时会被拒绝 / import would refuse:[/yellow] {exc}")


@app.command("import")
def import_(file: Path, username: str | None = AS_OPTION, bank: str | None = BANK_OPTION) -> None:
    """Import every statement of the file, or nothing (REC-1)."""
    actor = acting_with(username, Perm.RECON_WORK)
    data = _bytes(file)
    result = run(
        lambda: statements.do_import_statements(
            get_platform().uow(actor), file.name, data, bank=bank
        )
    )
    out.print(
        f"[green]已导入 / imported[/green] {file.name} ({result.format}): "
        f"{len(result.statement_ids)} statements, {result.entries} entries"
    )


@app.command("add-account")
def add_account(
    account_no: str,
    bank_name: str = typer.Option(..., "--bank-name"),
    org_unit_id: int = typer.Option(..., "--org-unit-id"),
    currency: str = typer.Option("CNY", "--currency"),
    username: str | None = AS_OPTION,
) -> None:
    """Register a bank account of a unit (statements of unregistered accounts are refused)."""
    actor = acting_with(username, Perm.RECON_WORK)
    account_id = run(
        lambda: statements.do_register_bank_account(
            get_platform().uow(actor),
            account_no=account_no,
            bank_name=bank_name,
            currency=currency,
            org_unit_id=org_unit_id,
        )
    )
    out.print(f"bank account #{account_id} {account_no}")


recon_app = typer.Typer(help="对账 / reconciliation (REC-2..4)", no_args_is_help=True)


@recon_app.command("run")
def run_month(
    period: str = typer.Option(..., "--period", help="YYYY-MM"), username: str | None = AS_OPTION
) -> None:
    """Match a month (the monthly job's code; re-running keeps human decisions)."""
    actor = acting_with(username, Perm.RECON_WORK)
    result = run(lambda: matching.do_run_month(get_platform().uow(actor), period))
    out.print(
        f"{result.period}: {result.system_groups} system groups — [green]{result.green} green[/green], "
        f"[yellow]{result.yellow} yellow[/yellow], [red]{result.red} red[/red]; "
        f"{result.cases_opened} cases opened"
    )


@recon_app.command("review")
def review(
    item_id: int,
    accept: bool = typer.Option(
        ..., "--accept/--turn-red", help="accept the yellow difference or send it to a case"
    ),
    reason: str = typer.Option(..., "--reason"),
    username: str | None = AS_OPTION,
) -> None:
    """Review a yellow item (REC-2/REC-3)."""
    actor = acting_with(username, Perm.RECON_WORK)
    case_id = run(
        lambda: cases.do_review_yellow(
            get_platform().uow(actor), item_id, accept=accept, reason=reason
        )
    )
    out.print(f"item #{item_id}: {'accepted' if accept else f'turned red, case #{case_id}'}")


@recon_app.command("resolve")
def resolve(
    case_id: int,
    cause: CaseCause = typer.Option(..., "--cause"),
    detail: str = typer.Option(..., "--detail"),
    ticket: str | None = typer.Option(
        None, "--ticket", help="interface fix ticket (technical cause)"
    ),
    responsible: str | None = typer.Option(None, "--responsible", help="the person (human cause)"),
    payment_id: int | None = typer.Option(
        None, "--payment", help="the payment that made the shortfall up"
    ),
    evidence: Path | None = typer.Option(None, "--evidence", help="a file kept with the case"),
    username: str | None = AS_OPTION,
) -> None:
    """Record a case's cause (and evidence); a second person closes it (REC-3)."""
    actor = acting_with(username, Perm.RECON_WORK)
    platform = get_platform()
    # One unit of work: a refused cause leaves no evidence file recorded, and the reverse.
    attached = (evidence.name, _bytes(evidence)) if evidence is not None else None
    run(
        lambda: cases.do_resolve(
            platform.uow(actor),
            case_id,
            cause=cause,
            detail=detail,
            ticket=ticket,
            responsible=responsible,
            made_up_by_payment_id=payment_id,
            evidence=attached,
        )
    )
    out.print(f"case #{case_id} resolved; a second person closes it")


@recon_app.command("close")
def close(
    case_id: int, note: str = typer.Option(..., "--note"), username: str | None = AS_OPTION
) -> None:
    """Close a resolved case as the second person (REC-3)."""
    actor = acting_with(username, Perm.RECON_WORK)
    run(lambda: cases.do_close(get_platform().uow(actor), case_id, note))
    out.print(f"case #{case_id} closed")


@recon_app.command("sign")
def sign(
    period: str = typer.Option(..., "--period"),
    otp: str = typer.Option(..., "--otp", help="your current one-time code"),
    username: str | None = AS_OPTION,
) -> None:
    """Sign the month's report off (leader in charge, second factor; REC-4)."""
    actor = acting_with(username, Perm.RECON_SIGN)
    report = run(lambda: reports.do_sign(get_platform().uow(actor), period, otp))
    out.print(
        f"{period} signed: {report.xlsx_path} {report.xlsx_sha256}, {report.pdf_path} {report.pdf_sha256}"
    )


@recon_app.command("verify-report")
def verify_report(
    period: str = typer.Option(..., "--period"), username: str | None = AS_OPTION
) -> None:
    """Check the archived report is byte for byte the signed one (exit 1 if not)."""
    actor = acting_with(username, Perm.RECON_VIEW)
    verdict = run(lambda: reports.verify(get_platform().uow(actor), period))
    if not verdict.intact:
        err.print(f"[red]{period}:[/red] {'; '.join(verdict.problems)}")
        raise typer.Exit(1)
    out.print(f"{period}: intact")
