"""API shapes of the payment ledger: search, trace of one payment, refund requests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from safegrid.payments.ledger.models import PaymentChannel, PaymentStatus, RefundStatus


class PaymentFilter(BaseModel):
    account_number: str | None = Field(None, max_length=20)
    receipt_no: str | None = Field(None, max_length=32)
    # Channel trade number / counter key, as captured (the idempotency key).
    key: str | None = Field(None, max_length=64)
    order_id: int | None = None
    status: PaymentStatus | None = None
    channel: PaymentChannel | None = None
    date_from: date | None = None
    date_to: date | None = None


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    account_number: str
    channel: PaymentChannel
    status: PaymentStatus
    amount: Decimal
    applied: Decimal
    credited: Decimal
    refunded: Decimal
    idempotency_key: str
    receipt_no: str | None
    hall_id: int | None
    cashier: str | None
    order_id: int | None
    bank_voucher: str | None
    bill_id: int | None
    captured_at: datetime
    captured_by: str


class PaymentEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    reference: str
    amount: Decimal
    applied: Decimal
    credited: Decimal
    reason: str | None
    at: datetime
    by: str


class TraceWriteOff(BaseModel):
    id: int
    bill_id: int
    bill_number: str
    period: str
    kind: str  # payment, or unwind (taken back by a void or refund)
    amount: Decimal
    late_fee_part: Decimal
    written_at: datetime
    unwinds_id: int | None


class PaymentTrace(BaseModel):
    """Where every yuan of one payment went: bills, credit, refunds — and who, which
    receipt and which bank voucher."""

    payment: PaymentOut
    events: list[PaymentEventOut]
    write_offs: list[TraceWriteOff]
    refund_requests: list[RefundOut]
    account_credit: Decimal


class RefundIn(BaseModel):
    payment_id: int
    amount: Decimal = Field(max_digits=16, decimal_places=2, gt=0)
    reason: str = Field(min_length=1, max_length=200)


class RefundDecisionIn(BaseModel):
    approve: bool
    note: str = Field("", max_length=200)


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    payment_id: int
    account_id: int
    amount: Decimal
    reason: str
    status: RefundStatus
    requested_at: datetime
    requested_by: str
    risk_action: str | None
    risk_case_id: int | None
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    event_id: int | None


PaymentTrace.model_rebuild()
