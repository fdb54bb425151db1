"""BILL-6: the daily late-fee job from the CLI acts as a named, audited staff account."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from safegrid.cli import app
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.bills import Bills
from tests.fixtures.world import World


def test_bill_6_accrue_late_fees_cli_is_idempotent_and_audited(world: World, bills: Bills) -> None:
    bills.bill(bills.account("stationA"), "100.00", due=date(2020, 1, 1))
    bills.bill(bills.account("stationB"), "100.00", due=date(2020, 1, 1))  # outside the county
    finance = world.staff(Post.FINANCE, "countyA")
    runner = CliRunner()
    args = ["collection", "accrue-late-fees", "--day", "2020-01-05", "--as", finance.username]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert '"rows": 1' in first.output  # only the bill of his own county
    again = runner.invoke(app, args)
    assert '"rows": 0' in again.output
    bad = runner.invoke(
        app, ["collection", "accrue-late-fees", "--day", "5.1.", "--as", finance.username]
    )
    assert bad.exit_code == 1 and "day" in bad.output
    with world.platform.uow(world.system(), readonly=True) as uow:
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "arrears.accrue_late_fees")
        ).all()
    assert [(e.actor_name, e.channel) for e in entries] == [(finance.username, "cli")]
