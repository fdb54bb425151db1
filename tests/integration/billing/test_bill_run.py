"""BILL-4: bill runs over the real database — refusal of unclosed periods, bills and lines
that reproduce the BILL-3 examples, idempotent re-runs, scope, reversal and re-billing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safegrid.billing import queries
from safegrid.billing.models import Bill, BillKind, BillLine, BillRun, BillStatus, RunStatus
from safegrid.billing.services import do_reverse_bill, do_run_bills
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.readings.models import PeriodStatus
from safegrid.security.models import AuditEntry
from safegrid.security.policy import Post
from tests.fixtures.billing import (
    SYSTEM,
    close_for_unit,
    new_account,
    seed_tariffs,
    set_period,
    set_usage,
)
from tests.fixtures.world import World

D = Decimal


def _count(world: World, model: type, *where: object) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _bill(world: World, account_id: int, period: str, kind: BillKind = BillKind.NORMAL) -> Bill:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalars(
            select(Bill)
            .where(Bill.account_id == account_id, Bill.period == period, Bill.kind == kind)
            .order_by(Bill.sequence.desc())
        ).first()


def _run(world: World, period: str, **kw: object) -> object:
    return do_run_bills(world.platform.uow(SYSTEM), period, **kw)


@pytest.mark.parametrize("status", [None, PeriodStatus.OPEN])
def test_bill_4_run_refuses_a_period_that_is_not_closed(
    world: World, status: PeriodStatus | None
) -> None:
    seed_tariffs(world)
    account, meter = new_account(world)
    set_usage(world, meter, account, "2026-10", "300")
    if status is not None:
        set_period(world, "2026-10", status)
    audits = _count(world, AuditEntry)
    with pytest.raises(ValidationProblem) as err:
        _run(world, "2026-10")
    assert err.value.field == "period"
    assert "2026-10" in err.value.message
    assert _count(world, Bill) == 0
    assert _count(world, BillRun) == 0
    assert _count(world, AuditEntry) == audits


def test_bill_4_a_units_own_close_lets_that_unit_bill(world: World) -> None:
    seed_tariffs(world)
    inside, inside_meter = new_account(world, "stationA")
    outside, outside_meter = new_account(world, "stationB")
    set_usage(world, inside_meter, inside, "2026-10", "100")
    set_usage(world, outside_meter, outside, "2026-10", "100")
    close_for_unit(world, "2026-10", "countyA")
    county_a = world.actor(world.staff(Post.FINANCE, "countyA"))
    assert do_run_bills(world.platform.uow(county_a), "2026-10").bills_created == 1
    county_b = world.actor(world.staff(Post.FINANCE, "countyB"))
    with pytest.raises(ValidationProblem) as err:
        do_run_bills(world.platform.uow(county_b), "2026-10")
    assert err.value.field == "period"
    with pytest.raises(ValidationProblem):  # the utility as a whole is not closed
        _run(world, "2026-10")


def test_bill_4_malformed_period_names_the_field(world: World) -> None:
    with pytest.raises(ValidationProblem) as err:
        _run(world, "2026-13")
    assert err.value.field == "period"


def test_bill_4_run_reproduces_the_bill_3_examples_line_by_line(world: World) -> None:
    seed_tariffs(world)
    plain, plain_meter = new_account(world)
    tou, tou_meter = new_account(world, tou=True)
    set_usage(world, plain_meter, plain, "2026-09", "2700")
    set_usage(world, tou_meter, tou, "2026-09", "2700", "1800", "900")
    set_period(world, "2026-09")
    _run(world, "2026-09")
    set_usage(world, plain_meter, plain, "2026-10", "300")
    set_usage(world, tou_meter, tou, "2026-10", "300", "200", "100")
    set_period(world, "2026-10")
    # A whole second: the stored text of a datetime then differs between writers that format
    # it differently (sqlite3's own adapter drops ".000000"); the ORM's form must be used.
    clock.set_clock(clock.FixedClock(datetime(2026, 11, 3, 1, 0, tzinfo=UTC)))
    run = _run(world, "2026-10", due_days=15)

    assert run.status == RunStatus.COMPLETED
    assert (run.accounts, run.bills_created, run.skipped) == (2, 2, 0)
    assert run.total_amount == D("327.80")  # 173.40 + 154.40

    # Bulk-written datetimes compare in SQL exactly like ORM-written ones (same stored form).
    issued = clock.now()
    assert _count(world, Bill, Bill.period == "2026-10", Bill.issued_at >= issued) == 2
    assert _count(world, Bill, Bill.period == "2026-10", Bill.issued_at > issued) == 0
    bill = queries.get_bill(
        world.platform.uow(SYSTEM, readonly=True), _bill(world, plain, "2026-10").id
    )
    assert bill.amount == D("173.40")
    assert bill.tier_prior_kwh == D("2700")
    assert [(line.kind, line.tier, line.kwh, line.price, line.amount) for line in bill.lines] == [
        ("tier1", 1, D("60"), D("0.538"), D("32.28")),
        ("tier2", 2, D("240"), D("0.588"), D("141.12")),
    ]
    assert "第二档" in bill.lines[1].description
    assert bill.tariff is not None
    assert bill.tariff.code == "ZJ-RES"
    assert bill.number == f"B202610-{bill.id:09d}"
    assert bill.due_date == clock.business_day() + timedelta(days=15)

    tou_bill = queries.get_bill(
        world.platform.uow(SYSTEM, readonly=True), _bill(world, tou, "2026-10").id
    )
    assert tou_bill.amount == D("154.40")
    assert [(line.kind, line.kwh, line.price) for line in tou_bill.lines] == [
        ("peak", D("200"), D("0.568")),
        ("valley", D("100"), D("0.288")),
        ("tier2_addon", D("240"), D("0.05")),
    ]


def test_bill_4_annual_year_in_one_period_and_the_2761st_kwh(world: World) -> None:
    seed_tariffs(world)
    big, big_meter = new_account(world)
    edge, edge_meter = new_account(world)
    set_usage(world, big_meter, big, "2026-01", "5000")
    set_usage(world, edge_meter, edge, "2026-01", "2761")
    set_period(world, "2026-01")
    _run(world, "2026-01")
    assert _bill(world, big, "2026-01").amount == D("2852.00")
    edge_bill = _bill(world, edge, "2026-01")
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        kinds = uow.session.execute(
            select(BillLine.kind, BillLine.kwh).where(BillLine.bill_id == edge_bill.id)
        ).all()
    assert [(k, D(v)) for k, v in kinds] == [("tier1", D(2760)), ("tier2", D(1))]


def test_bill_4_tier_year_restarts_in_january(world: World) -> None:
    seed_tariffs(world)
    account, meter = new_account(world)
    set_usage(world, meter, account, "2025-12", "3000")
    set_usage(world, meter, account, "2026-01", "300")
    for period in ("2025-12", "2026-01"):
        set_period(world, period)
        _run(world, period)
    january = _bill(world, account, "2026-01")
    assert january.tier_prior_kwh == D(0)
    assert january.amount == D("161.40")  # 300 × 0.538, all tier 1 again


def test_bill_4_rerun_is_idempotent_and_audited_once_per_run(world: World) -> None:
    seed_tariffs(world)
    for _ in range(3):
        account, meter = new_account(world)
        set_usage(world, meter, account, "2026-10", "120.50")
    set_period(world, "2026-10")
    audits = _count(world, AuditEntry)
    first = _run(world, "2026-10")
    assert first.bills_created == 3
    assert _count(world, AuditEntry) == audits + 1
    again = _run(world, "2026-10")
    assert (again.bills_created, again.skipped, again.total_amount) == (0, 3, D("0.00"))
    assert _count(world, Bill) == 3
    assert _count(world, BillLine) == 3
    assert _count(world, AuditEntry) == audits + 2
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.seq > audits).order_by(AuditEntry.seq)
        ).all()
    assert actions == ["billing.run", "billing.run"]


def test_bill_4_run_covers_only_the_callers_scope(world: World) -> None:
    seed_tariffs(world)
    inside, inside_meter = new_account(world, "stationA")
    outside, outside_meter = new_account(world, "stationB")
    set_usage(world, inside_meter, inside, "2026-10", "100")
    set_usage(world, outside_meter, outside, "2026-10", "100")
    set_period(world, "2026-10")
    finance = world.actor(world.staff(Post.FINANCE, "countyA"))
    run = do_run_bills(world.platform.uow(finance), "2026-10")
    assert (run.accounts, run.bills_created) == (1, 1)
    assert run.org_unit_id == world.units["countyA"]
    assert _bill(world, inside, "2026-10") is not None
    assert _bill(world, outside, "2026-10") is None
    # The province's run bills the rest and skips what the county issued.
    province = do_run_bills(world.platform.uow(SYSTEM), "2026-10")
    assert (province.accounts, province.bills_created, province.skipped) == (2, 1, 1)
    # A county B finance officer cannot see county A's bill or run.
    other = world.actor(world.staff(Post.FINANCE, "countyB"))
    with pytest.raises(NotFoundError):
        queries.get_bill(
            world.platform.uow(other, readonly=True), _bill(world, inside, "2026-10").id
        )
    with pytest.raises(NotFoundError):
        queries.get_run(world.platform.uow(other, readonly=True), run.id)


def test_bill_4_commercial_flat_and_time_of_use(world: World) -> None:
    seed_tariffs(world)
    flat, flat_meter = new_account(world, category="commercial")
    tou, tou_meter = new_account(world, category="industrial", tou=True)
    set_usage(world, flat_meter, flat, "2026-10", "1000")
    set_usage(world, tou_meter, tou, "2026-10", "1000", "400", "350")
    set_period(world, "2026-10")
    _run(world, "2026-10")
    assert _bill(world, flat, "2026-10").amount == D("666.40")
    assert _bill(world, tou, "2026-10").amount == D("683.62")


def test_bill_4_account_without_a_tariff_stops_the_run_whole(world: World) -> None:
    # No tariffs seeded: nothing can be priced, and nothing is written.
    account, meter = new_account(world)
    set_usage(world, meter, account, "2026-10", "100")
    set_period(world, "2026-10")
    with pytest.raises(ValidationProblem) as err:
        _run(world, "2026-10")
    assert err.value.field == "tariff"
    assert "2026-10" in err.value.message
    assert _count(world, Bill) == 0
    assert _count(world, BillRun) == 0


def test_bill_4_reversal_then_rebill_with_next_sequence(world: World) -> None:
    seed_tariffs(world)
    account, meter = new_account(world)
    set_usage(world, meter, account, "2026-09", "2700")
    set_usage(world, meter, account, "2026-10", "300")
    for period in ("2026-09", "2026-10"):
        set_period(world, period)
        _run(world, period)
    original = _bill(world, account, "2026-09")
    reversal_id = do_reverse_bill(world.platform.uow(SYSTEM), original.id, "抄表错误，重新出账")
    reversal = queries.get_bill(world.platform.uow(SYSTEM, readonly=True), reversal_id)
    assert reversal.kind == BillKind.REVERSAL
    assert reversal.amount == -original.amount
    assert reversal.kwh == D("-2700")
    assert reversal.reverses is not None
    assert reversal.reverses.id == original.id
    assert [line.amount for line in reversal.lines] == [D("-1452.6")]
    assert reversal.number == f"R202609-{original.id:09d}"
    detail = queries.get_bill(world.platform.uow(SYSTEM, readonly=True), original.id)
    assert detail.status == BillStatus.REVERSED
    assert detail.reversed_by is not None
    assert detail.reversed_by.id == reversal_id

    with pytest.raises(ConflictError):
        do_reverse_bill(world.platform.uow(SYSTEM), original.id, "再次冲正")
    with pytest.raises(ValidationProblem):
        do_reverse_bill(world.platform.uow(SYSTEM), reversal_id, "冲正冲正单")

    rerun = _run(world, "2026-09")
    assert rerun.bills_created == 1
    again = _bill(world, account, "2026-09")
    assert (again.sequence, again.status, again.amount) == (1, BillStatus.ISSUED, original.amount)
    assert _run(world, "2026-09").bills_created == 0


def test_bill_4_reversed_bills_do_not_count_towards_the_tier_year(world: World) -> None:
    seed_tariffs(world)
    account, meter = new_account(world)
    set_usage(world, meter, account, "2026-09", "2700")
    set_period(world, "2026-09")
    _run(world, "2026-09")
    do_reverse_bill(world.platform.uow(SYSTEM), _bill(world, account, "2026-09").id, "错误电量")
    set_usage(world, meter, account, "2026-10", "300")
    set_period(world, "2026-10")
    _run(world, "2026-10")
    october = _bill(world, account, "2026-10")
    assert october.tier_prior_kwh == D(0)
    assert october.amount == D("161.40")


def test_bill_4_out_of_scope_reversal_is_not_found_and_writes_nothing(world: World) -> None:
    seed_tariffs(world)
    account, meter = new_account(world, "stationB")
    set_usage(world, meter, account, "2026-10", "100")
    set_period(world, "2026-10")
    _run(world, "2026-10")
    finance = world.actor(world.staff(Post.FINANCE, "countyA"))
    audits = _count(world, AuditEntry)
    with pytest.raises(NotFoundError):
        do_reverse_bill(
            world.platform.uow(finance), _bill(world, account, "2026-10").id, "越权冲正"
        )
    assert _count(world, AuditEntry) == audits
    assert _count(world, Bill, Bill.kind == BillKind.REVERSAL) == 0


def test_bill_4_bill_lists_per_account_period_and_run(world: World) -> None:
    seed_tariffs(world)
    account, meter = new_account(world)
    other, other_meter = new_account(world)
    for period in ("2026-09", "2026-10"):
        set_usage(world, meter, account, period, "100")
        set_usage(world, other_meter, other, period, "50")
        set_period(world, period)
    _run(world, "2026-09")
    run = _run(world, "2026-10")
    uow = world.platform.uow(SYSTEM, readonly=True)
    by_account = queries.list_bills(uow, PageQuery(page=1, size=20), account_id=account)
    assert [b.period for b in by_account.items] == ["2026-10", "2026-09"]
    by_period = queries.list_bills(uow, PageQuery(page=1, size=20), period="2026-10")
    assert by_period.total == 2
    by_run = queries.list_bills(uow, PageQuery(page=1, size=20), run_id=run.id)
    assert {b.account_id for b in by_run.items} == {account, other}
    clock.set_clock(clock.FixedClock(datetime(2026, 11, 15, 2, 0, tzinfo=UTC)))
    overview = queries.period_overview(world.platform.uow(SYSTEM, readonly=True))
    assert [(p.period, p.closed, p.bills, p.amount) for p in overview if p.bills] == [
        ("2026-10", True, 2, D("80.70")),  # 53.80 + 26.90
        ("2026-09", True, 2, D("80.70")),
    ]
    assert [(p.period, p.closed) for p in overview[:1]] == [("2026-11", False)]


def test_bill_4_an_account_with_two_meters_is_one_bill(world: World) -> None:
    """Usage is summed per account; a TOU meter's bands are priced as bands and the other
    meter's kWh at the base (shoulder) price."""
    from safegrid.customers.models import Meter

    seed_tariffs(world)
    account, tou_meter = new_account(world, tou=True)
    with world.platform.uow(SYSTEM) as uow:
        first = uow.session.get(Meter, tou_meter)
        assert first is not None
        second = Meter(
            asset_no="ZJSECOND0001",
            supply_point_id=first.supply_point_id,
            reading_area_id=first.reading_area_id,
            model=first.model,
            multiplier=1,
            is_tou=False,
            latitude=first.latitude,
            longitude=first.longitude,
            installed_on=first.installed_on,
            org_unit_id=first.org_unit_id,
        )
        uow.session.add(second)
        uow.session.flush()
        plain_meter = second.id
        uow.audit("test.meter", object_type="meter", object_id=second.id)
        uow.commit()
    set_usage(world, tou_meter, account, "2026-10", "200", "120", "80")
    set_usage(world, plain_meter, account, "2026-10", "100")
    set_period(world, "2026-10")
    run = _run(world, "2026-10")
    assert (run.accounts, run.bills_created) == (1, 1)
    bill = queries.get_bill(
        world.platform.uow(SYSTEM, readonly=True), _bill(world, account, "2026-10").id
    )
    assert bill.kwh == D(300)
    assert [(line.kind, line.kwh) for line in bill.lines] == [
        ("peak", D(120)),
        ("valley", D(80)),
        ("shoulder", D(100)),
    ]
    assert bill.amount == D("145.00")  # 68.16 + 23.04 + 53.80
