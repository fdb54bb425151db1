"""BILL-1: customer archive services validate, scope and audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from safegrid.customers import services
from safegrid.customers.models import Account, Customer, CustomerKind, Meter
from safegrid.customers.schemas import CustomerCreate, CustomerUpdate, MeterCreate
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Post
from tests.fixtures.world import World


def _count(world: World) -> int:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Customer)) or 0


def test_bill_1_bad_id_number_names_the_field_and_writes_nothing(world: World) -> None:
    with pytest.raises(ValidationError) as err:
        CustomerCreate(
            kind=CustomerKind.RESIDENT,
            name="张三",
            org_unit_id=world.units["stationA"],
            address="浙江省杭州市富阳区江滨西路1号",
            id_number="330183199001011231",
        )
    assert err.value.errors()[0]["loc"] == ("id_number",)
    assert _count(world) == 0


def test_bill_1_enterprise_needs_credit_code(world: World) -> None:
    with pytest.raises(ValidationError, match="credit_code"):
        CustomerCreate(
            kind=CustomerKind.ENTERPRISE,
            name="某某纺织有限公司",
            org_unit_id=world.units["stationA"],
            address="浙江省杭州市富阳区江滨西路1号",
        )


def test_bill_1_duplicate_id_number_is_a_conflict(world: World) -> None:
    cid = world.customer("stationA")
    with world.platform.uow(world.system(), readonly=True) as uow:
        idn = uow.session.scalars(select(Customer.id_number).where(Customer.id == cid)).one()
    with pytest.raises(ConflictError):
        world.customer("stationB", id_number=idn)
    assert _count(world) == 1


def test_org_2_cannot_register_into_another_county(world: World) -> None:
    agent = world.actor(world.staff(Post.HALL_AGENT, "countyA"))
    with pytest.raises(ValidationProblem) as err:
        services.do_register_customer(
            world.platform.uow(agent),
            CustomerCreate(
                kind=CustomerKind.ENTERPRISE,
                name="象山某公司",
                org_unit_id=world.units["stationB"],
                address="浙江省宁波市象山县丹东街道天安路8号",
                credit_code="91350100M000100Y43",
            ),
        )
    assert err.value.field == "org_unit_id"
    assert _count(world) == 0


def test_org_2_out_of_scope_customer_is_not_found(world: World) -> None:
    other = world.customer("stationB")
    agent = world.actor(world.staff(Post.HALL_AGENT, "countyA"))
    with pytest.raises(NotFoundError):
        services.get_customer(world.platform.uow(agent, readonly=True), other)
    with pytest.raises(NotFoundError):
        services.do_update_customer(world.platform.uow(agent), other, CustomerUpdate(name="改名"))


def test_bill_1_search_by_name_mobile_and_id_number_masked(world: World) -> None:
    cid = world.customer("stationA", name="王小明", mobile="13900001111")
    world.customer("stationA")
    agent = world.actor(world.staff(Post.HALL_AGENT, "countyA"))
    page = services.search_customers(
        world.platform.uow(agent, readonly=True), "王小明", None, None, PageQuery()
    )
    assert [c.id for c in page.items] == [cid]
    page = services.search_customers(
        world.platform.uow(agent, readonly=True), "13900001111", None, None, PageQuery()
    )
    assert [c.id for c in page.items] == [cid]
    assert page.items[0].mobile == "139****1111"
    assert page.items[0].id_number is not None
    assert "*" in page.items[0].id_number


def test_bill_1_install_meter_creates_account_supply_point_contract(world: World) -> None:
    cid = world.customer("stationA")
    area = world.reading_area("stationA")
    world.meter(cid, area)
    detail = services.get_customer(world.platform.uow(world.system(), readonly=True), cid)
    assert len(detail.accounts) == 1
    assert len(detail.accounts[0].meters) == 1
    assert len(detail.contracts) == 1


def test_bill_1_asset_number_taken_is_a_conflict_and_writes_nothing(world: World) -> None:
    cid = world.customer("stationA")
    area = world.reading_area("stationA")
    world.meter(cid, area)
    with world.platform.uow(world.system(), readonly=True) as uow:
        (asset_no,) = uow.session.scalars(select(Meter.asset_no)).all()
    again = MeterCreate(
        asset_no=asset_no,
        model="DDZY71-Z",
        reading_area_id=area,
        latitude=Decimal("30.050000"),
        longitude=Decimal("119.950000"),
        installed_on=date(2026, 1, 5),
    )
    with pytest.raises(ConflictError) as err:
        services.do_install_meter(world.platform.uow(world.system()), cid, again)
    assert err.value.field == "asset_no"
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Account)) == 1
    # The account number the refused installation took is given back with its rollback.
    world.meter(cid, area)
    with world.platform.uow(world.system(), readonly=True) as uow:
        numbers = sorted(uow.session.scalars(select(Account.number)))
    unit = world.units["stationA"]
    assert numbers == [f"A{unit:04d}0000001", f"A{unit:04d}0000002"]
