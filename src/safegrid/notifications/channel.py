"""The notification channel interface: one ``Notifier`` protocol, two implementations.

- :class:`OutboxNotifier`, the default sink: writes the message to the ``notifications``
  table in the caller's transaction, so a message exists exactly when the change that
  caused it was committed, and the console shows it.
- :class:`SmsGatewayNotifier`: an SMS gateway over HTTP, configured by settings and used
  only by the dispatcher (:func:`safegrid.notifications.services.do_dispatch`) to relay
  queued rows. Email and webhook adapters would implement the same protocol.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
from sqlalchemy import insert

from safegrid.notifications.models import Notification, NotificationStatus
from safegrid.notifications.settings import NotificationSettings
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class Message:
    channel: str  # sms / email / webhook
    recipient: str
    topic: str
    body: str
    org_unit_id: int
    subject_type: str | None = None
    subject_id: str | None = None


class DeliveryError(RuntimeError):
    """The channel refused or could not take the message; the dispatcher records why."""


class Notifier(Protocol):
    def send(self, message: Message) -> None: ...


class OutboxNotifier:
    """Default sink. Writes rows; the caller's service audits the action that caused them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def send(self, message: Message) -> None:
        self.send_many([message])

    def send_many(self, messages: Sequence[Message]) -> list[int]:
        """One multi-row INSERT for a batch (e.g. a day's reminders); returns the ids in order."""
        if not messages:
            return []
        now = clock.now()
        by = self._uow.actor.username
        rows = [
            {
                "channel": m.channel,
                "recipient": m.recipient,
                "topic": m.topic,
                "subject_type": m.subject_type,
                "subject_id": m.subject_id,
                "body": m.body,
                "status": NotificationStatus.QUEUED,
                "attempts": 0,
                "created_at": now,
                "created_by": by,
                "org_unit_id": m.org_unit_id,
            }
            for m in messages
        ]
        ids = self._uow.session.scalars(
            insert(Notification).returning(Notification.id, sort_by_parameter_order=True), rows
        ).all()
        return [int(i) for i in ids]


class SmsGatewayNotifier:
    """Posts ``{"to", "text", "ref"}`` as JSON with a bearer token; any non-2xx answer or
    transport error is a :class:`DeliveryError`."""

    channel = "sms"

    def __init__(self, settings: NotificationSettings, client: httpx.Client | None = None) -> None:
        if not settings.sms_gateway_url:
            raise ValueError("SAFEGRID_NOTIFY_SMS_GATEWAY_URL is not set")
        self._url = settings.sms_gateway_url
        self._signature = settings.sms_signature
        headers = {}
        if settings.sms_gateway_token:
            headers["Authorization"] = f"Bearer {settings.sms_gateway_token}"
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self._headers = headers

    def send(self, message: Message) -> None:
        if message.channel != "sms":
            raise DeliveryError(f"the SMS gateway cannot send {message.channel} messages")
        payload: dict[str, Any] = {
            "to": message.recipient,
            "text": f"{self._signature}{message.body}",
            "ref": f"{message.subject_type or ''}:{message.subject_id or ''}",
        }
        try:
            resp = self._client.post(self._url, json=payload, headers=self._headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"gateway unreachable: {type(exc).__name__}") from exc
        if resp.status_code // 100 != 2:
            raise DeliveryError(f"gateway answered {resp.status_code}")


def gateway_from_settings(settings: NotificationSettings) -> Notifier | None:
    """The external channel the dispatcher relays to, or None (outbox only)."""
    return SmsGatewayNotifier(settings) if settings.sms_gateway_url else None
