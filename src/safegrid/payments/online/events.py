"""Facts of online payments (past tense), written to the outbox with the change."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class OnlineOrderCreated(Event):
    order_no: str
    account_id: int
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class OnlineOrderPaid(Event):
    order_no: str
    trade_no: str
    payment_id: int
    account_id: int
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class OnlineCallbackRejected(Event):
    order_no: str
    reason: str
