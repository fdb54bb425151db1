"""BILL-3/BILL-4 from the command line: the same services, as a named staff account, with
its permissions and scope, errors naming the field and exit code 1."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from safegrid.billing.models import Bill, BillRun
from safegrid.cli import app
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from safegrid.tariffs.models import TariffVersion
from tests.fixtures.billing import SYSTEM, new_account, seed_tariffs, set_period, set_usage
from tests.fixtures.world import World

runner = CliRunner()


def _count(world: World, model: type) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_bill_4_cli_run_refuses_open_period_then_runs_and_shows(world: World) -> None:
    seed_tariffs(world)
    account, meter = new_account(world)
    set_usage(world, meter, account, "2026-10", "300")
    finance = world.staff(Post.FINANCE, "countyA").username
    refused = runner.invoke(app, ["billing", "run", "--period", "2026-10", "--as", finance])
    assert refused.exit_code == 1
    assert "(period)" in refused.output
    assert "2026-10" in refused.output
    assert _count(world, BillRun) == 0

    set_period(world, "2026-10")
    ran = runner.invoke(app, ["billing", "run", "--period", "2026-10", "--as", finance])
    assert ran.exit_code == 0, ran.output
    assert "1 bills issued" in ran.output
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        bill_id = uow.session.scalar(select(Bill.id))
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "billing.run")
        ).one()
    assert entry.actor_name == finance
    assert entry.channel == "cli"
    shown = runner.invoke(app, ["billing", "show", str(bill_id), "--as", finance])
    assert shown.exit_code == 0, shown.output
    assert "161.40" in shown.output
    assert "第一档" in shown.output
    runs = runner.invoke(app, ["billing", "runs", "--as", finance])
    assert "2026-10" in runs.output


def test_bill_4_cli_needs_the_permission(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "countyA").username
    result = runner.invoke(app, ["billing", "run", "--period", "2026-10", "--as", agent])
    assert result.exit_code == 1
    assert "bills.run" in result.output


def test_bill_3_cli_add_version_refuses_overlap_naming_the_field(world: World) -> None:
    seed_tariffs(world)
    head = world.staff(Post.DEPARTMENT_HEAD, "countyA").username
    args = ["tariffs", "add-version", "ZJ-RES", "--from", "2027-01-01", "--base", "0.548",
            "--peak", "0.578", "--valley", "0.298", "--tier1", "2760", "--tier2", "4800",
            "--addon2", "0.05", "--addon3", "0.30", "--as", head]  # fmt: skip
    versions = _count(world, TariffVersion)
    overlap = runner.invoke(app, args)
    assert overlap.exit_code == 1
    assert "(effective_from)" in overlap.output
    assert _count(world, TariffVersion) == versions
    added = runner.invoke(app, [*args, "--close-current"])
    assert added.exit_code == 0, added.output
    assert _count(world, TariffVersion) == versions + 1
    listing = runner.invoke(app, ["tariffs", "list", "--as", head], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    assert "2027-01-01" in listing.output
    assert "2026-12-31" in listing.output
