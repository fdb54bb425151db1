"""The CLI acts as a named staff account: same services, same scope, same audit (AUD-1, ORG-2)."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner, Result

from safegrid.cli import app
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.world import World

runner = CliRunner()


def _add_resident(world: World, username: str, id_number: str) -> Result:
    return runner.invoke(app, [
        "customers", "add", "--as", username, "--kind", "resident", "--name", "王五",
        "--org-unit-id", str(world.units["stationA"]),
        "--address", "浙江省杭州市富阳区江滨西路9号", "--id-number", id_number,
    ])  # fmt: skip


def test_aud_1_cli_change_is_audited_as_the_named_account(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "countyA")
    result = _add_resident(world, agent.username, "11010519491231002X")
    assert result.exit_code == 0, result.output
    with world.platform.uow(world.system(), readonly=True) as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "customer.register")
        ).one()
    assert entry.actor_name == agent.username and entry.channel == "cli"
    assert entry.ip is not None and entry.ip.startswith("cli:")


def test_bill_1_cli_bad_input_names_the_field_and_exits_1(world: World) -> None:
    agent = world.staff(Post.HALL_AGENT, "countyA")
    result = _add_resident(world, agent.username, "110105194912310021")
    assert result.exit_code == 1
    assert "id_number" in result.output and "check digit" in result.output


def test_org_2_cli_list_is_scoped_and_show_hides_other_county(world: World) -> None:
    world.customer("stationA", name="本县客户")
    other = world.customer("stationB", name="外县客户")
    agent = world.staff(Post.HALL_AGENT, "countyA")
    listing = runner.invoke(app, ["customers", "list", "--as", agent.username])
    assert listing.exit_code == 0, listing.output
    assert "本县客户" in listing.output and "外县客户" not in listing.output
    shown = runner.invoke(app, ["customers", "show", str(other), "--as", agent.username])
    assert shown.exit_code == 1 and "not found" in shown.output


def test_cli_requires_an_identity(world: World) -> None:
    result = runner.invoke(app, ["customers", "list"], env={"SAFEGRID_CLI_USER": ""})
    assert result.exit_code == 2 and "--as" in result.output
