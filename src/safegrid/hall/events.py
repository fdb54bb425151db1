"""Outbox events of the hall (past tense). One per stored hall event: the relay hands it
to in-process subscribers (the feed's push, ``feed.push``) and to utility webhooks."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class HallEventRecorded(Event):
    event_id: int
    hall_id: int
    kind: str
    ticket_id: int | None
    customer_id: int | None
    occurred_at: datetime
