"""BILL-3: tariff configuration — seeding, versions by effective date, overlapping versions
refused naming the field, immutability once used, and the monthly-threshold variant in a
real bill run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safegrid.billing.models import Bill
from safegrid.billing.services import do_run_bills
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.security.models import AuditEntry
from safegrid.tariffs import services
from safegrid.tariffs.models import Tariff, TariffVersion
from safegrid.tariffs.schemas import TariffCreate, VersionCreate, VersionUpdate
from safegrid.tariffs.seed import do_seed_standard_tariffs
from safegrid.tariffs.terms import Category, Structure
from tests.fixtures.billing import SYSTEM, new_account, seed_tariffs, set_period, set_usage
from tests.fixtures.world import World

D = Decimal


def _tariff(world: World, code: str) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return int(uow.session.scalars(select(Tariff.id).where(Tariff.code == code)).one())


def _count(world: World, model: type) -> int:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _version(**over: object) -> VersionCreate:
    data: dict[str, object] = {
        "effective_from": date(2027, 1, 1),
        "base_price": "0.5480",
        "peak_price": "0.5780",
        "valley_price": "0.2980",
        "tier1_limit": "2760",
        "tier2_limit": "4800",
        "tier2_addon": "0.05",
        "tier3_addon": "0.30",
    }
    data.update(over)
    return VersionCreate.model_validate(data)


def test_bill_3_seed_is_idempotent_and_audited_once(world: World) -> None:
    audits = _count(world, AuditEntry)
    created = do_seed_standard_tariffs(world.platform.uow(SYSTEM))
    assert created == ["ZJ-RES", "ZJ-COM", "ZJ-COM-TOU", "ZJ-IND", "ZJ-IND-TOU"]
    assert do_seed_standard_tariffs(world.platform.uow(SYSTEM)) == []
    assert _count(world, AuditEntry) == audits + 1
    tariffs = services.list_tariffs(world.platform.uow(SYSTEM, readonly=True))
    residential = next(t for t in tariffs if t.code == "ZJ-RES")
    current = residential.current(date(2026, 10, 1))
    assert current is not None
    assert (current.base_price, current.peak_price, current.valley_price) == (
        D("0.538"),
        D("0.568"),
        D("0.288"),
    )
    assert (current.tier1_limit, current.tier2_limit) == (D(2760), D(4800))
    assert (current.tier2_addon, current.tier3_addon) == (D("0.05"), D("0.30"))


def test_bill_3_overlapping_version_is_refused_naming_the_field(world: World) -> None:
    seed_tariffs(world)
    tariff = _tariff(world, "ZJ-RES")
    versions = _count(world, TariffVersion)
    with pytest.raises(ValidationProblem) as err:
        services.do_add_tariff_version(world.platform.uow(SYSTEM), tariff, _version())
    assert err.value.field == "effective_from"
    assert "overlaps version" in err.value.message
    assert _count(world, TariffVersion) == versions


def test_bill_3_version_dates_are_whole_months(world: World) -> None:
    seed_tariffs(world)
    tariff = _tariff(world, "ZJ-RES")
    with pytest.raises(ValidationProblem) as err:
        services.do_add_tariff_version(
            world.platform.uow(SYSTEM), tariff, _version(effective_from=date(2027, 1, 15))
        )
    assert err.value.field == "effective_from"
    with pytest.raises(ValidationProblem) as err:
        services.do_add_tariff_version(
            world.platform.uow(SYSTEM),
            tariff,
            _version(effective_to=date(2027, 6, 15), close_current=True),
        )
    assert err.value.field == "effective_to"


def test_bill_3_bad_terms_name_their_field(world: World) -> None:
    seed_tariffs(world)
    tariff = _tariff(world, "ZJ-RES")
    with pytest.raises(ValidationProblem) as err:
        services.do_add_tariff_version(
            world.platform.uow(SYSTEM),
            tariff,
            _version(tier1_limit="5000", close_current=True),
        )
    assert err.value.field == "tier2_limit"


def test_bill_3_new_version_closes_the_current_one_and_prices_later_periods(world: World) -> None:
    seed_tariffs(world)
    tariff = _tariff(world, "ZJ-RES")
    account, meter = new_account(world)
    set_usage(world, meter, account, "2026-12", "100")
    set_usage(world, meter, account, "2027-01", "100")
    set_period(world, "2026-12")
    do_run_bills(world.platform.uow(SYSTEM), "2026-12")

    new_id = services.do_add_tariff_version(
        world.platform.uow(SYSTEM), tariff, _version(close_current=True)
    )
    detail = services.get_tariff(world.platform.uow(SYSTEM, readonly=True), tariff)
    old, new = detail.versions
    assert old.effective_to == date(2026, 12, 31)
    assert old.used
    assert new.id == new_id
    assert not new.used

    set_period(world, "2027-01")
    do_run_bills(world.platform.uow(SYSTEM), "2027-01")
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        bills = uow.session.execute(
            select(Bill.period, Bill.amount, Bill.tariff_version_id).order_by(Bill.period)
        ).all()
    assert [(p, a, v) for p, a, v in bills] == [
        ("2026-12", D("53.80"), old.id),
        ("2027-01", D("54.80"), new_id),
    ]


def test_bill_3_version_used_by_a_bill_is_immutable(world: World) -> None:
    seed_tariffs(world)
    tariff = _tariff(world, "ZJ-RES")
    account, meter = new_account(world)
    set_usage(world, meter, account, "2027-02", "100")
    set_period(world, "2027-02")
    do_run_bills(world.platform.uow(SYSTEM), "2027-02")
    current = services.get_tariff(world.platform.uow(SYSTEM, readonly=True), tariff).versions[0]
    with pytest.raises(ConflictError):
        services.do_update_tariff_version(
            world.platform.uow(SYSTEM), current.id, VersionUpdate(base_price=D("0.6"))
        )
    # Closing it before a month it already priced would change an issued bill: refused.
    with pytest.raises(ConflictError) as err:
        services.do_add_tariff_version(
            world.platform.uow(SYSTEM), tariff, _version(close_current=True)
        )
    assert err.value.field == "effective_from"
    # After that month it can be closed and followed by a new version.
    services.do_add_tariff_version(
        world.platform.uow(SYSTEM),
        tariff,
        _version(effective_from=date(2027, 3, 1), close_current=True),
    )


def test_bill_3_unused_version_can_be_corrected(world: World) -> None:
    seed_tariffs(world)
    tariff = _tariff(world, "ZJ-RES")
    new_id = services.do_add_tariff_version(
        world.platform.uow(SYSTEM), tariff, _version(close_current=True)
    )
    services.do_update_tariff_version(
        world.platform.uow(SYSTEM), new_id, VersionUpdate(base_price=D("0.5490"))
    )
    version = services.version_out(world.platform.uow(SYSTEM, readonly=True), new_id)
    assert version.base_price == D("0.549")


def test_bill_3_one_standard_tariff_per_category(world: World) -> None:
    seed_tariffs(world)
    with pytest.raises(ConflictError) as err:
        services.do_create_tariff(
            world.platform.uow(SYSTEM),
            TariffCreate(
                code="ZJ-RES-2",
                name="另一居民电价",
                name_en="Another residential",
                category=Category.RESIDENTIAL,
                structure=Structure.FLAT,
            ),
        )
    assert err.value.field == "structure"


def test_bill_3_monthly_thresholds_in_a_bill_run(world: World) -> None:
    """Another province's monthly tiers (230 / 400 kWh a month): every month starts again
    at tier 1, whatever was billed in earlier months."""
    tariff = services.do_create_tariff(
        world.platform.uow(SYSTEM),
        TariffCreate(
            code="MONTHLY-RES",
            name="居民生活用电（月阶梯）",
            name_en="Residential (monthly tiers)",
            category=Category.RESIDENTIAL,
            structure=Structure.TIERED_MONTHLY,
        ),
    )
    services.do_add_tariff_version(
        world.platform.uow(SYSTEM),
        tariff,
        VersionCreate(
            effective_from=date(2026, 1, 1),
            base_price=D("0.5283"),
            tier1_limit=D(230),
            tier2_limit=D(400),
            tier2_addon=D("0.05"),
            tier3_addon=D("0.30"),
        ),
    )
    account, meter = new_account(world)
    for period in ("2026-09", "2026-10"):
        set_usage(world, meter, account, period, "500")
        set_period(world, period)
        do_run_bills(world.platform.uow(SYSTEM), period)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        amounts = uow.session.scalars(select(Bill.amount).order_by(Bill.period)).all()
    assert amounts == [D("302.65"), D("302.65")]


def test_bill_3_tier_year_starting_in_july_in_a_bill_run(world: World) -> None:
    tariff = services.do_create_tariff(
        world.platform.uow(SYSTEM),
        TariffCreate(
            code="JULY-RES",
            name="居民生活用电（七月起算）",
            name_en="Residential (tier year from July)",
            category=Category.RESIDENTIAL,
            structure=Structure.TIERED_ANNUAL,
        ),
    )
    services.do_add_tariff_version(
        world.platform.uow(SYSTEM),
        tariff,
        _version(effective_from=date(2026, 1, 1), tier_year_start_month=7),
    )
    account, meter = new_account(world)
    for period, kwh in (("2026-06", "3000"), ("2026-07", "300"), ("2026-08", "2500")):
        set_usage(world, meter, account, period, kwh)
        set_period(world, period)
        do_run_bills(world.platform.uow(SYSTEM), period)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        rows = uow.session.execute(
            select(Bill.period, Bill.tier_prior_kwh, Bill.amount).order_by(Bill.period)
        ).all()
    assert [(p, prior) for p, prior, _ in rows] == [
        ("2026-06", D(0)),
        ("2026-07", D(0)),  # a new tier year: June's 3000 kWh no longer count
        ("2026-08", D(300)),
    ]
    # August: 2460 kWh in tier 1, 40 kWh in tier 2 at 0.548 + 0.05.
    assert rows[2][2] == D("1370.00") + D("2.00")
