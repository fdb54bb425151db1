"""Facts of the payment ledger, kept in the outbox for other systems (past tense)."""

from __future__ import annotations

import dataclasses

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class PaymentCaptured(Event):
    payment_id: int
    account_id: int
    channel: str
    amount: str  # Decimal as text: exact in JSON
    applied: str
    credited: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class PaymentVoided(Event):
    payment_id: int
    account_id: int
    amount: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class PaymentRefunded(Event):
    payment_id: int
    account_id: int
    amount: str
    refunded_total: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class RefundRequested(Event):
    request_id: int
    payment_id: int
    amount: str
    status: str  # pending, or held by the risk engine
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class RefundDecided(Event):
    request_id: int
    payment_id: int
    approved: bool
    status: str
    org_unit_id: int
