"""REC-1: statements are imported all or nothing, once, only for the importer's own unit's
accounts; the CLI parses without storing and imports as a named, audited account."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safegrid.cli import app
from safegrid.platform.errors import ConflictError, PermissionDeniedError, ValidationProblem
from safegrid.reconciliation import writers
from safegrid.reconciliation.models import BankStatement, StatementEntry
from safegrid.reconciliation.statements import do_import_statements, do_register_bank_account
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.world import World

runner = CliRunner()


def _sheet(account: str, sid: str = "ST-1", amount: str = "88.00") -> writers.Sheet:
    return writers.Sheet(
        account, sid, Decimal("10.00"), [writers.Line(Decimal(amount), date(2026, 11, 5), "R1")]
    )


def _counts(world: World) -> tuple[int, int]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return (
            uow.session.scalar(select(func.count()).select_from(BankStatement)) or 0,
            uow.session.scalar(select(func.count()).select_from(StatementEntry)) or 0,
        )


@pytest.fixture
def finance(world: World):  # type: ignore[no-untyped-def]
    staff = world.staff(Post.FINANCE, "countyA")
    actor = world.actor(staff)
    do_register_bank_account(
        world.platform.uow(actor), account_no="A-1", bank_name="工行富阳支行", currency="CNY",
        org_unit_id=world.units["countyA"],
    )  # fmt: skip
    other = world.actor(world.staff(Post.FINANCE, "countyB"))
    do_register_bank_account(
        world.platform.uow(other), account_no="B-1", bank_name="象山农商行", currency="CNY",
        org_unit_id=world.units["countyB"],
    )  # fmt: skip
    return staff


def test_rec_1_import_once_then_duplicate_is_refused(world: World, finance) -> None:  # type: ignore[no-untyped-def]
    actor = world.actor(finance)
    data = writers.camt053([_sheet("A-1"), _sheet("A-1", "ST-2")], version=8)
    result = do_import_statements(world.platform.uow(actor), "nov.xml", data)
    assert len(result.statement_ids) == 2 and result.entries == 2
    assert _counts(world) == (2, 2)
    # The same statements again, as MT940 this time: same account, id and sequence.
    with pytest.raises(ConflictError, match="already imported"):
        do_import_statements(world.platform.uow(actor), "nov.xml", data)
    assert _counts(world) == (2, 2)
    with world.platform.uow(world.system(), readonly=True) as uow:
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("recon.statement_imported") == 2


def test_rec_1_other_units_account_refused_and_nothing_half_stored(world: World, finance) -> None:  # type: ignore[no-untyped-def]
    data = writers.mt940([_sheet("A-1"), _sheet("B-1", "ST-9")])
    with pytest.raises(ValidationProblem, match="account B-1 is not registered in your unit"):
        do_import_statements(world.platform.uow(world.actor(finance)), "mix.sta", data)
    assert _counts(world) == (0, 0)


def test_rec_1_unbalanced_file_refused_before_storing(world: World, finance) -> None:  # type: ignore[no-untyped-def]
    data = writers.bank_csv(_sheet("A-1"), "icbc").replace(b"98.00", b"99.00")
    with pytest.raises(ValidationProblem, match="do not reconcile"):
        do_import_statements(world.platform.uow(world.actor(finance)), "nov.csv", data)
    assert _counts(world) == (0, 0)
    with world.platform.uow(world.system(), readonly=True) as uow:
        logged = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "recon.statement_refused")
        ).one()
    assert logged.actor_name == finance.username and logged.object_id == "nov.csv"


def test_rec_1_cashier_may_not_import(world: World, finance) -> None:  # type: ignore[no-untyped-def]
    cashier = world.actor(world.staff(Post.CASHIER, "countyA"))
    with pytest.raises(PermissionDeniedError):
        do_import_statements(world.platform.uow(cashier), "a.sta", writers.mt940([_sheet("A-1")]))


def test_rec_1_cli_parse_json_and_import(world: World, finance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nov.xlsx"
    path.write_bytes(writers.bank_xlsx(_sheet("A-1"), "city_bank"))
    parsed = runner.invoke(app, ["statements", "parse", str(path), "--json"])
    assert parsed.exit_code == 0, parsed.output
    body = json.loads(parsed.stdout)
    assert body["format"] == "xlsx:city_bank"
    assert body["statements"][0]["entries"][0]["amount"] == "88.00"
    assert _counts(world) == (0, 0)
    done = runner.invoke(app, ["statements", "import", str(path), "--as", finance.username])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["statements", "import", str(path), "--as", finance.username])
    assert again.exit_code == 1 and "already imported" in again.output
    assert _counts(world) == (1, 1)


def test_rec_1_concurrent_imports_of_one_statement_store_it_once(world: World, finance) -> None:  # type: ignore[no-untyped-def]
    import threading

    actor = world.actor(finance)
    data = writers.camt053([_sheet("A-1", "ST-RACE")])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            do_import_statements(world.platform.uow(actor), "race.xml", data)
            outcomes.append("stored")
        except ConflictError:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate", "stored"]
    assert _counts(world) == (1, 1)
