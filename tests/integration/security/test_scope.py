"""ORG-2 / IAM-1: visibility is the unit's subtree, enforced on every ORM query."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from safegrid.customers.models import Customer, Meter
from safegrid.org.models import OrgUnit
from safegrid.security.policy import Post
from safegrid.security.scope import (
    SKIP_SCOPE,
    ScopeMissingError,
    UnscopedWithoutReasonError,
    unscoped,
)
from tests.fixtures.world import World


def _visible_customers(world: World, post: Post, unit: str) -> set[int]:
    actor = world.actor(world.staff(post, unit))
    with world.platform.uow(actor, readonly=True) as uow:
        return set(uow.session.scalars(select(Customer.id)).all())


def test_org_2_subtree_visibility(world: World) -> None:
    a = world.customer("stationA")
    b = world.customer("stationB")
    assert _visible_customers(world, Post.DEPARTMENT_HEAD, "prov") == {a, b}
    assert _visible_customers(world, Post.DEPARTMENT_HEAD, "cityA") == {a}
    assert _visible_customers(world, Post.HALL_AGENT, "countyB") == {b}
    assert _visible_customers(world, Post.HALL_AGENT, "hallA") == set()


def test_org_2_scope_applies_to_counts_joins_and_org_units(world: World) -> None:
    world.customer("stationA")
    world.customer("stationB")
    actor = world.actor(world.staff(Post.HALL_AGENT, "countyA"))
    with world.platform.uow(actor, readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 1
        joined = uow.session.execute(
            select(Customer.id, OrgUnit.name).join(OrgUnit, OrgUnit.id == Customer.org_unit_id)
        ).all()
        assert len(joined) == 1
        units = set(uow.session.scalars(select(OrgUnit.id)).all())
        assert units == {world.units["countyA"], world.units["stationA"], world.units["hallA"]}


def test_org_2_two_scopes_in_turn_never_share_a_cached_filter(world: World) -> None:
    a = world.customer("stationA")
    b = world.customer("stationB")
    # The same statement shape under two scopes must not reuse one scope's parameters.
    for unit, expected in [("countyA", {a}), ("countyB", {b}), ("countyA", {a})]:
        assert _visible_customers(world, Post.HALL_AGENT, unit) == expected


def test_org_2_query_without_scope_fails_closed(platform: object) -> None:
    from safegrid.bootstrap import get_platform

    session = get_platform().session_factory()
    try:
        with pytest.raises(ScopeMissingError):
            session.scalars(select(Customer)).all()
    finally:
        session.close()


def test_iam_1_meter_reader_sees_only_his_reading_areas(world: World) -> None:
    reader = world.staff(Post.METER_READER, "stationA")
    mine = world.reading_area("stationA", reader)
    other = world.reading_area("stationA")
    c1, c2 = world.customer("stationA"), world.customer("stationA")
    m1 = world.meter(c1, mine)
    world.meter(c2, other)
    with world.platform.uow(world.actor(reader), readonly=True) as uow:
        assert set(uow.session.scalars(select(Meter.id)).all()) == {m1}


@pytest.mark.parametrize("flag", [True, 1, "", "because", {"why": "numbers"}])
def test_org_2_scope_skipped_without_a_reason_is_refused(world: World, flag: object) -> None:
    """Only unscoped(reason) may lift the row scope: a bare flag, or a word that explains
    nothing, is refused before the statement runs (for reads and bulk writes alike)."""
    world.customer("stationA")
    actor = world.actor(world.staff(Post.HALL_AGENT, "countyB"))
    with world.platform.uow(actor) as uow:
        with pytest.raises(UnscopedWithoutReasonError):
            uow.session.scalars(select(Customer.id), execution_options={SKIP_SCOPE: flag}).all()
        with pytest.raises(UnscopedWithoutReasonError):
            uow.session.execute(
                update(Customer).values(name="x"),  # refused before it runs
                execution_options={SKIP_SCOPE: flag, "synchronize_session": False},
            )


def test_org_2_unscoped_with_a_reason_sees_every_unit(world: World) -> None:
    a = world.customer("stationA")
    b = world.customer("stationB")
    actor = world.actor(world.staff(Post.HALL_AGENT, "countyB"))
    with world.platform.uow(actor, readonly=True) as uow:
        scoped = set(uow.session.scalars(select(Customer.id)).all())
        everyone = set(
            uow.session.scalars(
                select(Customer.id), execution_options=unscoped("a test of the exemption")
            ).all()
        )
    assert (scoped, everyone) == ({b}, {a, b})


@pytest.mark.parametrize("reason", ["", "   ", "why", None])
def test_org_2_unscoped_needs_a_reason_of_a_few_words(reason: object) -> None:
    with pytest.raises(UnscopedWithoutReasonError):
        unscoped(reason)  # type: ignore[arg-type]
