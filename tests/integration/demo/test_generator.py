"""The demo utility generator (``safegrid demo``) against a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyotp
import pytest
from sqlalchemy import Select, func, select, text
from typer.testing import CliRunner

from safegrid.billing.models import Bill
from safegrid.bootstrap import Platform, set_platform
from safegrid.config import Settings
from safegrid.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    ReadingArea,
    SupplyContract,
    SupplyPoint,
)
from safegrid.customers.validation import credit_code_problem, id_number_problem, mobile_problem
from safegrid.demo.cli import app
from safegrid.demo.generator import DemoDataExistsError, DemoSummary, generate
from safegrid.demo.geography import COUNTIES, county_of_unit_code
from safegrid.demo.organisation import DEMO_PASSWORD
from safegrid.org.models import OrgUnit, UnitKind
from safegrid.payments.ledger.invariant import ledger_totals
from safegrid.payments.ledger.models import Payment, PaymentChannel
from safegrid.platform import clock
from safegrid.readings.models import DailyReading
from safegrid.security import audit
from safegrid.security.actor import Actor
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid.security.passwords import hasher, verify
from safegrid.security.policy import Post
from tests.fixtures.scratch_sqlite import SchemaCopy

CUSTOMERS = 300
DAYS = 20


def _platform(
    migrated_schema: SchemaCopy, db: Path, env: Literal["dev", "test"] = "test"
) -> Platform:
    platform = Platform(
        Settings(
            env=env,
            database_url=f"sqlite:///{db}",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            secret_key="test-secret-key-for-demo-generator-tests",
        )
    )
    migrated_schema(platform)
    return platform


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, migrated_schema: SchemaCopy
) -> Iterator[tuple[Platform, DemoSummary]]:
    """One small demo shared by the read-only checks below (generating it is the slow part)."""
    platform = _platform(migrated_schema, tmp_path_factory.mktemp("demo") / "t.db")
    set_platform(platform)
    try:
        yield platform, generate(platform, seed=2026, customers=CUSTOMERS, days=DAYS)
    finally:
        set_platform(None)
        platform.dispose()


def _all(platform: Platform, stmt: Select[Any]) -> list[Any]:
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        return list(uow.session.execute(stmt).all())


def test_org_1_demo_tree_has_province_cities_counties_units(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, _ = demo
    units = {u.code: u for (u,) in _all(platform, select(OrgUnit))}
    assert len(units) == 15
    kinds = [u.kind for u in units.values()]
    assert kinds.count(UnitKind.PROVINCE) == 1
    assert kinds.count(UnitKind.CITY) == 2
    assert kinds.count(UnitKind.COUNTY) == 4
    assert kinds.count(UnitKind.STATION) == 4
    assert kinds.count(UnitKind.HALL) == 4
    province = units["zj"]
    assert (province.name, province.path) == ("浙江省", f"/{province.id}/")
    for unit in units.values():
        if unit.parent_id is None:
            continue
        parent = next(p for p in units.values() if p.id == unit.parent_id)
        assert unit.path == f"{parent.path}{unit.id}/"
    fuyang_hall = units["zj-hz-fy-hall"]
    assert fuyang_hall.path == (
        f"/{province.id}/{units['zj-hz'].id}/{units['zj-hz-fy'].id}/{fuyang_hall.id}/"
    )


def test_iam_1_every_post_in_every_unit_real_named_and_enrolled(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, summary = demo
    rows = _all(platform, select(StaffAccount, OrgUnit.code).join(OrgUnit))
    assert summary.staff == len(rows) == 15 * len(Post)
    seen = {(account.post, code) for account, code in rows}
    assert len(seen) == 15 * len(Post)
    hashes = set()
    for account, code in rows:
        assert account.username == f"{account.post.value}.{code}"
        assert 2 <= len(account.real_name) <= 4
        assert not account.must_change_password
        assert account.totp_enrolled
        assert len(account.totp_secret) == 32
        pyotp.TOTP(account.totp_secret).now()  # a valid base32 secret
        hashes.add(account.password_hash)
    # One Argon2 hash for all, and it is the published demo password.
    assert len(hashes) == 1
    assert verify(hasher(1, 8192), hashes.pop(), DEMO_PASSWORD)


def test_iam_1_reading_areas_belong_to_the_station_meter_reader(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, _ = demo
    rows = _all(
        platform,
        select(ReadingArea, OrgUnit.code, StaffAccount.username)
        .join(OrgUnit, OrgUnit.id == ReadingArea.org_unit_id)
        .join(StaffAccount, StaffAccount.id == ReadingArea.reader_id),
    )
    assert len(rows) == 20
    for _area, unit_code, reader in rows:
        assert unit_code.endswith("-st")
        assert reader == f"meter_reader.{unit_code}"


def test_bill_1_every_customer_has_a_complete_archive_at_its_station(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, summary = demo
    rows = _all(
        platform,
        select(Customer, Account, SupplyPoint, Meter, SupplyContract, OrgUnit)
        .join(Account, Account.customer_id == Customer.id)
        .join(SupplyPoint, SupplyPoint.account_id == Account.id)
        .join(Meter, Meter.supply_point_id == SupplyPoint.id)
        .join(SupplyContract, SupplyContract.customer_id == Customer.id)
        .join(OrgUnit, OrgUnit.id == Customer.org_unit_id),
    )
    assert len(rows) == summary.customers == CUSTOMERS
    enterprises = 0
    for customer, account, point, meter, contract, unit in rows:
        assert unit.kind is UnitKind.STATION
        assert {account.org_unit_id, point.org_unit_id, meter.org_unit_id} == {unit.id}
        assert contract.org_unit_id == unit.id
        if customer.kind is CustomerKind.ENTERPRISE:
            enterprises += 1
            assert account.tariff_category in {"commercial", "industrial"}
            assert point.voltage_kv == Decimal("10")
            assert meter.multiplier in {20, 30, 50, 100}
        else:
            assert account.tariff_category == "residential"
            assert point.voltage_kv == Decimal("0.22")
            assert meter.multiplier == 1
        assert meter.installed_on < summary.first_day
    assert 0 < enterprises < CUSTOMERS * 0.15


def test_data_1_identity_numbers_and_mobiles_are_valid(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, _ = demo
    customers = [c for (c,) in _all(platform, select(Customer))]
    for c in customers:
        assert mobile_problem(c.mobile) is None, c.mobile
        assert c.address.startswith("浙江省")
        if c.kind is CustomerKind.RESIDENT:
            assert c.credit_code is None
            assert id_number_problem(c.id_number) is None, c.id_number
            assert 1940 <= int(c.id_number[6:10]) <= 2004
        else:
            assert c.id_number is None
            assert credit_code_problem(c.credit_code) is None, c.credit_code
            assert c.name.endswith("公司")
    for field in ("number", "id_number", "credit_code", "name"):
        values = [getattr(c, field) for c in customers if c.kind is CustomerKind.ENTERPRISE]
        if field in ("number", "id_number"):
            values = [getattr(c, field) for c in customers if getattr(c, field)]
        assert len(set(values)) == len(values), f"{field} repeats"


def test_ana_5_meters_lie_inside_their_county_box(demo: tuple[Platform, DemoSummary]) -> None:
    platform, _ = demo
    rows = _all(platform, select(Meter, OrgUnit.code).join(OrgUnit))
    counties_seen = set()
    for meter, code in rows:
        county = county_of_unit_code(code)
        assert county is not None
        counties_seen.add(county.code)
        assert county.box.contains(float(meter.latitude), float(meter.longitude))
    assert counties_seen == {c.code for c in COUNTIES}


def test_bill_2_a_reading_per_meter_per_day_registers_add_up(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, summary = demo
    with platform.uow(Actor.system("test"), readonly=True) as uow:
        count = uow.session.scalar(select(func.count()).select_from(DailyReading))
        assert count == summary.readings == CUSTOMERS * DAYS
        span = uow.session.execute(select(func.min(DailyReading.day), func.max(DailyReading.day)))
        assert tuple(span.one()) == (summary.first_day, summary.last_day)
        assert summary.last_day == clock.business_day() - timedelta(days=1)
        rows = uow.session.execute(
            select(DailyReading, Meter.multiplier)
            .join(Meter, Meter.id == DailyReading.meter_id)
            .order_by(DailyReading.meter_id, DailyReading.day)
        ).all()
    previous: dict[int, Decimal] = {}
    for reading, multiplier in rows:
        assert reading.source == "ami"
        assert reading.kwh >= 0
        last = previous.get(reading.meter_id)
        if last is not None:
            assert reading.register_kwh >= last
            assert (reading.register_kwh - last) * multiplier == reading.kwh
        previous[reading.meter_id] = reading.register_kwh
    daily = [r.kwh for r, m in rows if m == 1]
    mean = sum(daily) / len(daily)
    assert Decimal(3) < mean < Decimal(15)  # homes use around 7 kWh a day


def test_aud_1_generation_is_one_audited_change_and_the_chain_holds(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, summary = demo
    entries = [e for (e,) in _all(platform, select(AuditEntry))]
    generated = [e for e in entries if e.action == "demo.generate"]
    assert len(generated) == 1
    assert generated[0].actor_name == "system:demo-generator"
    assert generated[0].channel == "cli"
    assert f"customers={CUSTOMERS}" in generated[0].note
    assert f"readings={summary.readings}" in generated[0].note
    with platform.engine.connect() as conn:
        assert audit.verify(conn).ok


def test_org_1_generate_refuses_a_database_that_already_has_a_tree(
    demo: tuple[Platform, DemoSummary],
) -> None:
    platform, _ = demo
    with pytest.raises(DemoDataExistsError):
        generate(platform, seed=1, customers=5, days=1)
    assert len(_all(platform, select(OrgUnit))) == 15


def _identities(migrated_schema: SchemaCopy, db: Path, seed: int) -> list[tuple[str, str | None]]:
    platform = _platform(migrated_schema, db)
    try:
        generate(platform, seed=seed, customers=60, days=2)
        rows = _all(platform, select(Customer.name, Customer.id_number).order_by(Customer.number))
        secrets = _all(platform, select(StaffAccount.totp_secret).order_by(StaffAccount.username))
        energy = _all(platform, select(func.sum(DailyReading.kwh)))
        energy += _all(platform, select(func.max(Meter.latitude)))
        return [tuple(r) for r in rows + secrets + energy]
    finally:
        platform.dispose()


def test_org_1_demo_is_deterministic_for_a_seed(
    tmp_path: Path, migrated_schema: SchemaCopy
) -> None:
    first = _identities(migrated_schema, tmp_path / "a.db", 7)
    again = _identities(migrated_schema, tmp_path / "b.db", 7)
    other = _identities(migrated_schema, tmp_path / "c.db", 8)
    assert first == again
    assert first != other


def test_org_1_cli_generate_if_empty_twice_changes_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    platform = Platform(
        Settings(
            env="test",
            database_url=f"sqlite:///{tmp_path / 'cli.db'}",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            secret_key="test-secret-key-for-demo-generator-tests",
        )
    )  # not migrated: the command must do it itself
    set_platform(platform)
    runner = CliRunner()
    args = ["generate", "--if-empty", "--customers", "40", "--days", "3", "--seed", "5"]
    try:
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        with platform.engine.connect() as conn:
            counts = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM customers), "
                    "(SELECT count(*) FROM audit_entries WHERE action = 'demo.generate'), "
                    "(SELECT count(*) FROM audit_entries)"
                )
            ).one()
        assert tuple(counts)[:2] == (40, 1)
        second = runner.invoke(app, args)
        assert second.exit_code == 0, second.output
        assert "already exists" in second.output
        refused = runner.invoke(
            app, ["generate", "--customers", "40", "--days", "3"], env={"COLUMNS": "200"}
        )
        assert refused.exit_code == 1
        assert "--if-empty" in refused.output
        with platform.engine.connect() as conn:
            again = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM customers), "
                    "(SELECT count(*) FROM audit_entries WHERE action = 'demo.generate'), "
                    "(SELECT count(*) FROM audit_entries)"
                )
            ).one()
        assert tuple(again) == tuple(counts)
    finally:
        set_platform(None)
        platform.dispose()


@pytest.fixture
def dev_demo(tmp_path: Path, migrated_schema: SchemaCopy) -> Iterator[Platform]:
    platform = _platform(migrated_schema, tmp_path / "dev.db", env="dev")
    generate(platform, seed=3, customers=8, days=1)
    set_platform(platform)
    try:
        yield platform
    finally:
        set_platform(None)
        platform.dispose()


def test_iam_3_demo_logins_show_live_codes_and_write_every_account(
    dev_demo: Platform, tmp_path: Path
) -> None:
    at = datetime(2026, 3, 1, 9, 0, 10, tzinfo=UTC)
    clock.set_clock(clock.FixedClock(at))
    try:
        shown = CliRunner().invoke(app, ["logins"], env={"COLUMNS": "200"})
        code = CliRunner().invoke(app, ["otp", "hall_agent.zj-hz-fy"])
    finally:
        clock.set_clock(clock.SystemClock())
    assert shown.exit_code == 0, shown.output
    secret = _all(
        dev_demo,
        select(StaffAccount.totp_secret).where(StaffAccount.username == "hall_agent.zj-hz-fy"),
    )[0][0]
    expected = pyotp.TOTP(secret).at(int(at.timestamp()))
    assert "hall_agent.zj-hz-fy" in shown.output
    assert DEMO_PASSWORD in shown.output
    assert expected in shown.output
    lines = (tmp_path / "demo-logins.txt").read_text(encoding="utf-8").splitlines()
    accounts = [line.split("\t") for line in lines if not line.startswith("#")]
    assert len(accounts) == 210
    hall_agent = next(a for a in accounts if a[0] == "hall_agent.zj-hz-fy")
    assert (hall_agent[5], hall_agent[6]) == (DEMO_PASSWORD, secret)
    assert code.exit_code == 0, code.output
    assert code.output.split()[0] == expected
    assert "20s" in code.output  # 10 s into the 30 s step


def test_iam_3_demo_codes_refused_outside_dev_and_for_unknown_accounts(
    dev_demo: Platform,
) -> None:
    wide = {"COLUMNS": "200"}
    unknown = CliRunner().invoke(app, ["otp", "nobody.zj"], env=wide)
    assert unknown.exit_code == 1
    assert "not a demo account" in unknown.output
    # The same database seen from a non-dev deployment.
    test_platform = Platform(dev_demo.settings.model_copy(update={"env": "test"}))
    set_platform(test_platform)
    try:
        for args in (["logins"], ["otp", "hall_agent.zj-hz-fy"]):
            refused = CliRunner().invoke(app, args, env=wide)
            assert refused.exit_code == 1
            assert "SAFEGRID_ENV=dev" in refused.output
            assert DEMO_PASSWORD not in refused.output
    finally:
        test_platform.dispose()


def test_bill_5_demo_bills_are_mostly_paid_through_the_ledger(
    tmp_path: Path, migrated_schema: SchemaCopy
) -> None:
    """The demo pays its bills by direct debit through the ledger's batch capture: most are
    paid, some stay in arrears, and the ledger adds up (PAY-7) with the chain intact."""
    platform = _platform(migrated_schema, tmp_path / "paid.db")
    set_platform(platform)
    try:
        summary = generate(platform, seed=11, customers=60, days=75)
        bills = _all(platform, select(Bill.id))
        payments = _all(platform, select(Payment.channel, Payment.captured_at))
        assert summary.bills == len(bills) > 0
        assert summary.payments == len(payments)
        assert 0.4 * len(bills) < len(payments) < len(bills)  # paid, with some arrears
        assert {c for c, _at in payments} == {PaymentChannel.BANK_DIRECT_DEBIT}
        assert max(at for _c, at in payments) < clock.now()  # dated when paid, not now
        with platform.uow(Actor.system("test"), readonly=True) as uow:
            assert ledger_totals(uow.session).holds
        with platform.engine.connect() as conn:
            assert audit.verify(conn).ok
    finally:
        set_platform(None)
        platform.dispose()


def test_hall_1_demo_halls_have_windows_terminals_and_a_month_of_queue_history(
    demo: tuple[Platform, DemoSummary],
) -> None:
    from safegrid.hall import monitor, staffing
    from safegrid.hall.models import HallEvent, HallTerminal, HallWindow, TerminalFault, Ticket
    from safegrid.security.actor import Actor

    platform, _ = demo
    halls = _all(platform, select(OrgUnit.id).where(OrgUnit.kind == UnitKind.HALL))
    assert len(_all(platform, select(HallWindow.id))) == 4 * len(halls)
    assert len(_all(platform, select(HallTerminal.id))) == 2 * len(halls)
    assert len(_all(platform, select(TerminalFault.id))) == len(halls)
    days = _all(platform, select(Ticket.business_day).distinct())
    assert len(days) == 30
    tickets = len(_all(platform, select(Ticket.id)))
    assert tickets > 30 * len(halls) * 50
    assert len(_all(platform, select(HallEvent.id))) > 3 * tickets
    first = int(halls[0][0])
    with platform.uow(Actor.system("tests"), readonly=True) as uow:
        plans = staffing.recommend(uow, first)
        # The morning peak needs more windows than the lunch hour.
        by_hour = {p.hour: p for p in plans}
        assert by_hour[9].recommended > by_hour[12].recommended >= 1
        assert monitor.rebuild(uow, first).comparable() == monitor.live(uow, first).comparable()


def test_hall_6_demo_portal_customers_have_bound_accounts_with_bills(
    demo: tuple[Platform, DemoSummary],
) -> None:
    from safegrid.demo.portal import CUSTOMERS as PORTAL_CUSTOMERS
    from safegrid.portal import accounts, statements
    from safegrid.portal.identity import PortalIdentity
    from safegrid.portal.models import PortalBinding, PortalCustomer

    platform, _ = demo
    people = _all(platform, select(PortalCustomer.id, PortalCustomer.mobile))
    assert sorted(m for _i, m in people) == sorted(m for m, _n in PORTAL_CUSTOMERS)
    assert len(_all(platform, select(PortalBinding.id))) == sum(n for _m, n in PORTAL_CUSTOMERS)
    first = min(i for i, _m in people)
    me = PortalIdentity(first, 0, "138****8001")
    mine = accounts.bound_accounts(platform.uow(me.actor, readonly=True), me)
    assert len(mine) == 2
    view = statements.statement(platform.uow(me.actor, readonly=True), me, mine[0].number)
    from safegrid.billing.models import Bill

    issued = _all(platform, select(Bill.id).where(Bill.account_id == mine[0].account_id))
    assert len(view.bills) == min(len(issued), statements.BILLS)
