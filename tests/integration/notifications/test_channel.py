"""DESIGN (notifications): messages go to the outbox table first; the SMS gateway adapter
relays queued ones over HTTP and records failures (no real network: a mock transport)."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from safegrid.notifications.channel import Message, OutboxNotifier, SmsGatewayNotifier
from safegrid.notifications.models import Notification, NotificationStatus
from safegrid.notifications.services import do_dispatch
from safegrid.notifications.settings import NotificationSettings
from tests.fixtures.world import World


def _queue(world: World, n: int) -> None:
    with world.platform.uow(world.system()) as uow:
        OutboxNotifier(uow).send_many(
            [
                Message("sms", f"1380000{i:04d}", "test.topic", f"第{i}条", world.units["stationA"])
                for i in range(n)
            ]
        )
        uow.audit("notification.test", object_type="notification")
        uow.commit()


def test_sms_gateway_relays_queued_messages_and_records_failures(world: World) -> None:
    _queue(world, 3)
    seen: list[dict] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        assert request.headers["authorization"] == "Bearer tok"
        return httpx.Response(500 if body["text"].endswith("第1条") else 200)

    settings = NotificationSettings(
        sms_gateway_url="http://sms.test/send", sms_gateway_token="tok", sms_signature="【测试】"
    )
    notifier = SmsGatewayNotifier(settings, httpx.Client(transport=httpx.MockTransport(gateway)))
    result = do_dispatch(world.platform.uow(world.system()), notifier)
    assert (result.sent, result.failed) == (2, 1)
    assert seen[0] == {"to": "13800000000", "text": "【测试】第0条", "ref": ":"}
    with world.platform.uow(world.system(), readonly=True) as uow:
        rows = uow.session.scalars(select(Notification).order_by(Notification.id)).all()
        states = [(n.status, n.attempts, n.error) for n in rows]
    assert states == [
        (NotificationStatus.SENT, 1, None),
        (NotificationStatus.QUEUED, 1, "gateway answered 500"),  # retried next time
        (NotificationStatus.SENT, 1, None),
    ]
