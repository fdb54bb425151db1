"""Facts of the counter and the daily cash, published after commit and kept in the outbox."""

from __future__ import annotations

import dataclasses

from safegrid.platform.events import Event


@dataclasses.dataclass(frozen=True)
class CounterPaymentRecorded(Event):
    receipt_id: int
    receipt_no: str
    payment_id: int
    hall_id: int
    amount: str
    cashier_id: int


@dataclasses.dataclass(frozen=True)
class CounterReceiptConfirmed(Event):
    receipt_id: int
    receipt_no: str
    checker_id: int


@dataclasses.dataclass(frozen=True)
class CounterVoidRequested(Event):
    receipt_id: int
    receipt_no: str
    requested_by: str


@dataclasses.dataclass(frozen=True)
class CounterVoidCancelled(Event):
    receipt_id: int
    receipt_no: str
    outcome: str  # withdrawn (by the one who asked) or declined (by the other)
    by: str


@dataclasses.dataclass(frozen=True)
class CounterReceiptVoided(Event):
    receipt_id: int
    receipt_no: str
    payment_id: int
    requested_by: str
    cosigned_by: str


@dataclasses.dataclass(frozen=True)
class DrawerCounted(Event):
    settlement_id: int
    hall_id: int
    cashier_id: int
    difference: str


@dataclasses.dataclass(frozen=True)
class CashPutInSafe(Event):
    settlement_id: int
    bag_no: str


@dataclasses.dataclass(frozen=True)
class CashDeposited(Event):
    deposit_id: int
    hall_id: int
    business_day: str
    amount: str
    bank_voucher: str
    late: bool


@dataclasses.dataclass(frozen=True)
class DepositSlipUploaded(Event):
    deposit_id: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class DepositFlaggedOverdue(Event):
    hall_id: int
    business_day: str
    alert_id: int


@dataclasses.dataclass(frozen=True)
class CashDiscrepancyRecorded(Event):
    """长短款: the checker counted ``amount`` more (negative: less) than the receipt."""

    discrepancy_id: int
    receipt_id: int
    receipt_no: str
    amount: str
    cashier_id: int


@dataclasses.dataclass(frozen=True)
class CashDiscrepancyAcknowledged(Event):
    discrepancy_id: int
    receipt_id: int
    cashier_id: int
