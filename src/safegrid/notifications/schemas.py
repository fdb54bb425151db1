"""Notification responses: recipients leave the service layer masked (DATA-3)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from pydantic import BaseModel

from safegrid.notifications.models import Notification, NotificationStatus
from safegrid.security.masking import mask

# Topics whose body carries a one-time code meant for the recipient alone: whoever may
# read the outbox (managers, finance) must not be able to sign in with it (IAM-3).
ONE_TIME_CODE_TOPICS: Final = frozenset({"auth.login_code"})
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")  # the codes are 6 digits (login_locations)


def shown_body(n: Notification) -> str:
    if n.topic in ONE_TIME_CODE_TOPICS:
        return _CODE.sub(lambda m: "*" * len(m.group()), n.body)
    return n.body


class NotificationOut(BaseModel):
    id: int
    channel: str
    recipient: str
    topic: str
    subject_type: str | None
    subject_id: str | None
    body: str
    status: NotificationStatus
    attempts: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    org_unit_id: int

    @classmethod
    def masked(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.id,
            channel=n.channel,
            recipient=mask("phone", n.recipient) or "",
            topic=n.topic,
            subject_type=n.subject_type,
            subject_id=n.subject_id,
            body=shown_body(n),
            status=n.status,
            attempts=n.attempts,
            error=n.error,
            created_at=n.created_at,
            sent_at=n.sent_at,
            org_unit_id=n.org_unit_id,
        )


class DispatchResult(BaseModel):
    sent: int
    failed: int
