"""Events go to the outbox in the change's transaction and to subscribers only through the
relay, once committed (ADR 0016)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import select

from safegrid.customers.events import CustomerRegistered
from safegrid.platform import events
from safegrid.platform.outbox import OutboxMessage
from safegrid.relay import relay
from tests.fixtures.world import World


@pytest.fixture
def seen() -> Iterator[list[events.Event]]:
    got: list[events.Event] = []

    def handler(records: Sequence[events.EventRecord]) -> None:
        got.extend(e for e in (r.event() for r in records) if e is not None)

    events.subscribe(CustomerRegistered, handler, name="test.outbox.seen")
    yield got
    events.unsubscribe("test.outbox.seen")


def test_registered_customer_event_is_in_outbox_and_published(
    world: World, seen: list[events.Event]
) -> None:
    cid = world.customer("stationA")
    relay.drain(world.platform)
    assert [e.customer_id for e in seen if isinstance(e, CustomerRegistered)] == [cid]
    with world.platform.uow(world.system(), readonly=True) as uow:
        msg = uow.session.scalars(select(OutboxMessage)).one()
    assert msg.topic == "CustomerRegistered"
    assert msg.payload["customer_id"] == cid


def test_rolled_back_change_publishes_nothing(world: World, seen: list[events.Event]) -> None:
    with world.platform.uow(world.system()) as uow:
        uow.emit(CustomerRegistered(customer_id=1, org_unit_id=1))
        # leaving without commit
    relay.drain(world.platform)
    assert seen == []
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalars(select(OutboxMessage)).all() == []
