"""Facts of collection and arrears, kept in the outbox for other systems (past tense)."""

from __future__ import annotations

import dataclasses
from datetime import date

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class BillWrittenOff(Event):
    reference: str
    bill_id: int
    account_id: int
    kind: str
    amount: str  # Decimal as text: exact in JSON
    late_fee_part: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class BillWriteOffUnwound(Event):
    """Part of a payment write-off taken back (the payment was voided or refunded)."""

    reference: str
    bill_id: int
    account_id: int
    unwinds_id: int
    amount: str
    late_fee_part: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class LateFeesAccrued(Event):
    day: date
    bills: int
    amount: str


@dataclasses.dataclass(frozen=True)
class RemindersSent(Event):
    day: date
    reminders: int


@dataclasses.dataclass(frozen=True)
class InstalmentPlanCreated(Event):
    plan_id: int
    account_id: int
    instalments: int
    total: str
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class DisconnectionNoticeCreated(Event):
    notice_id: int
    account_id: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class DisconnectionNoticeDecided(Event):
    notice_id: int
    account_id: int
    approved: bool
    earliest_disconnect_on: date | None
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class DisconnectionNoticeCancelled(Event):
    notice_id: int
    account_id: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class SupplyDisconnected(Event):
    account_id: int
    notice_id: int
    org_unit_id: int


@dataclasses.dataclass(frozen=True)
class SupplyRestored(Event):
    """Arrears paid in full: field work and the metering system reconnect the account."""

    account_id: int
    notice_id: int | None
    reference: str  # the payment that cleared the arrears
    org_unit_id: int
