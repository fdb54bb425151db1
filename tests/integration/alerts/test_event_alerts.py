"""AUD-3 for events (a tampered callback, a late deposit, a risk case): the same alert
inbox and SMS to the unit's managers, inside the caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from safegrid.alerts.models import Alert
from safegrid.alerts.raise_alert import TOPIC, raise_alert
from safegrid.notifications.models import Notification
from safegrid.security.models import StaffAccount
from safegrid.security.policy import Post
from tests.fixtures.billing import SYSTEM
from tests.fixtures.world import World


def _raise(world: World, unit: str, *, commit: bool) -> None:
    with world.platform.uow(SYSTEM) as uow:
        raise_alert(
            uow.session,
            kind="callback_tampered",
            object_type="payment_order",
            object_id="PO-1",
            label="PO-1",
            before="100.00",
            after="10.00",
            unit_id=world.units[unit],
            actor=None,
            text="【支付告警】回调金额与订单不符",
        )
        uow.audit("test.alert", object_type="payment_order", object_id="PO-1")
        if commit:
            uow.commit()


def test_aud_3_event_alert_reaches_the_units_managers(world: World) -> None:
    head = world.staff(Post.HALL_MANAGER, "hallA")
    with world.platform.engine.begin() as conn:
        conn.execute(
            update(StaffAccount).where(StaffAccount.id == head.id).values(mobile="13912345678")
        )
    world.staff(Post.HALL_MANAGER, "hallB")  # another hall's manager is not told
    _raise(world, "hallA", commit=True)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        alerts = uow.session.scalars(select(Alert)).all()
        sms = uow.session.scalars(select(Notification).where(Notification.topic == TOPIC)).all()
    assert [(a.key_field, a.before, a.after, a.recipients) for a in alerts] == [
        ("callback_tampered", "100.00", "10.00", head.username)
    ]
    assert [(n.recipient, n.subject_id) for n in sms] == [("13912345678", str(alerts[0].id))]


def test_aud_3_event_alert_rolled_back_with_its_transaction(world: World) -> None:
    world.staff(Post.HALL_MANAGER, "hallA")
    _raise(world, "hallA", commit=False)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        assert uow.session.scalars(select(Alert)).all() == []


def test_aud_3_event_alert_needs_a_message(world: World) -> None:
    with world.platform.uow(SYSTEM) as uow, pytest.raises(ValueError, match="message"):
        raise_alert(
            uow.session,
            kind="deposit_late",
            object_type="deposit",
            object_id="1",
            label=None,
            before=None,
            after=None,
            unit_id=None,
            actor=None,
            text=" ",
        )
