"""Events go to the outbox in the change's transaction and to handlers only after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safegrid.customers.events import CustomerRegistered
from safegrid.platform import events
from safegrid.platform.outbox import OutboxMessage
from tests.fixtures.world import World


def test_registered_customer_event_is_in_outbox_and_published(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[events.Event] = []
    monkeypatch.setattr(events, "_handlers", {CustomerRegistered: [seen.append]})
    cid = world.customer("stationA")
    assert [e.customer_id for e in seen if isinstance(e, CustomerRegistered)] == [cid]
    with world.platform.uow(world.system(), readonly=True) as uow:
        msg = uow.session.scalars(select(OutboxMessage)).one()
    assert msg.topic == "CustomerRegistered"
    assert msg.payload["customer_id"] == cid


def test_rolled_back_change_publishes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[events.Event] = []
    monkeypatch.setattr(events, "_handlers", {CustomerRegistered: [seen.append]})
    with world.platform.uow(world.system()) as uow:
        uow.emit(CustomerRegistered(customer_id=1, org_unit_id=1))
        # leaving without commit
    assert seen == []
    with world.platform.uow(world.system(), readonly=True) as uow:
        assert uow.session.scalars(select(OutboxMessage)).all() == []
