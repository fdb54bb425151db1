"""DATA-2: a blind index follows its value when the value changes through an UPDATE
statement (``session.execute(update(...))``), not only through the ORM's flush (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, select, update

from safegrid.customers.models import Customer
from safegrid.security.fields import matches, seal_bulk
from tests.fixtures.world import World

NEW_MOBILE = "13912345678"


def _found_by_mobile(world: World, mobile: str) -> list[int]:
    with world.platform.uow(world.system(), readonly=True) as uow:
        return list(
            uow.session.scalars(select(Customer.id).where(matches(Customer.mobile, mobile)))
        )


def test_data_2_bulk_update_with_values_refreshes_the_blind_index(world: World) -> None:
    cid, other = world.customer("stationA"), world.customer("stationA")
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(update(Customer).where(Customer.id == cid).values(mobile=NEW_MOBILE))
        uow.audit("test.bulk_update", object_type="customer", object_id=cid)
        uow.commit()
    assert _found_by_mobile(world, NEW_MOBILE) == [cid]
    assert other not in _found_by_mobile(world, NEW_MOBILE)
    # Clearing the value clears its index: nothing matches a stale one.
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(update(Customer).where(Customer.id == cid).values(mobile=None))
        uow.audit("test.bulk_update", object_type="customer", object_id=cid)
        uow.commit()
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(Customer.mobile_bidx).where(Customer.id == cid)) is None
    assert _found_by_mobile(world, NEW_MOBILE) == []


def test_data_2_orm_bulk_update_by_primary_key_refreshes_the_blind_index(world: World) -> None:
    first, second = world.customer("stationA"), world.customer("stationB")
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(
            update(Customer),
            [{"id": first, "mobile": "13900000001"}, {"id": second, "mobile": "13900000002"}],
        )
        uow.audit("test.bulk_update", object_type="customer")
        uow.commit()
    assert _found_by_mobile(world, "13900000001") == [first]
    assert _found_by_mobile(world, "13900000002") == [second]


def test_data_2_core_executemany_update_refreshes_the_blind_index(world: World) -> None:
    first, second = world.customer("stationA"), world.customer("stationA")
    table = Customer.__table__
    stmt = update(table).where(table.c.id == bindparam("b_id")).values(mobile=bindparam("b_mobile"))
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(
            stmt,
            [{"b_id": first, "b_mobile": "13900000011"}, {"b_id": second, "b_mobile": None}],
        )
        uow.audit("test.bulk_update", object_type="customer")
        uow.commit()
    assert _found_by_mobile(world, "13900000011") == [first]
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalar(select(Customer.mobile_bidx).where(Customer.id == second)) is None


def test_data_2_update_to_a_sql_expression_is_refused_not_left_stale(world: World) -> None:
    cid = world.customer("stationA")
    with (
        world.platform.uow(world.system()) as uow,
        pytest.raises(TypeError, match="rather than a SQL expression"),
    ):
        uow.session.execute(
            update(Customer).where(Customer.id == cid).values(mobile=func.lower(Customer.name))
        )


def test_data_2_sealed_values_keep_the_index_their_caller_computed(world: World) -> None:
    cid = world.customer("stationA")
    row = {"id": cid, "mobile": "13900000021"}
    seal_bulk(Customer.__table__, [row])  # fills mobile_bidx and seals the value
    with world.platform.uow(world.system()) as uow:
        uow.session.execute(update(Customer), [row])
        uow.audit("test.bulk_update", object_type="customer", object_id=cid)
        uow.commit()
    assert _found_by_mobile(world, "13900000021") == [cid]
    # A sealed value without its index cannot be indexed again: refused, not left stale.
    bare = {"id": cid, "mobile": "13900000022"}
    seal_bulk(Customer.__table__, [bare])
    del bare["mobile_bidx"]
    with world.platform.uow(world.system()) as uow, pytest.raises(TypeError, match="sealed"):
        uow.session.execute(update(Customer), [bare])
