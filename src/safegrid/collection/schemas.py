"""Request and response shapes of collection and arrears. Money is Decimal (JSON strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safegrid.apicontract import input_bounds
from safegrid.collection.models import NoticeStatus, PlanStatus, WriteOffKind
from safegrid.platform.money import FEN

PERIOD_PATTERN = input_bounds.PERIOD_PATTERN


def _fen_amount(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("金额必须大于零 / amount must be greater than 0")
    if value != value.quantize(FEN):
        raise ValueError("金额最多两位小数 / amount has more than fen precision")
    return value


class WriteOffIn(BaseModel):
    """A manual write-off by finance. Payments arrive through the payments service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Decimal = Field(max_digits=16, decimal_places=2)
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:/-]+$")
    kind: Literal["payment", "adjustment"] = "adjustment"

    _amount = field_validator("amount")(_fen_amount)


class WriteOffResult(BaseModel):
    reference: str
    applied: Decimal
    remainder: Decimal  # what could not be applied: the caller keeps it as credit
    replayed: bool  # the reference had been posted before; nothing changed this time
    bill_ids: list[int]


class WriteOffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    kind: WriteOffKind
    amount: Decimal
    late_fee_part: Decimal
    written_at: datetime
    written_by: str


class InstalmentOut(BaseModel):
    seq: int
    due_date: date
    amount: Decimal
    paid: Decimal
    state: Literal["paid", "partly_paid", "due", "overdue"]


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bill_ids: list[int] = Field(min_length=1, max_length=24)
    count: int = Field(ge=2, le=24, description="number of instalments")
    first_due_date: date
    interval_days: int = Field(30, ge=1, le=92)
    note: str | None = Field(None, max_length=200)


class PlanOut(BaseModel):
    id: int
    account_id: int
    account_number: str
    status: PlanStatus
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    bill_ids: list[int]
    instalments: list[InstalmentOut]
    created_at: datetime
    created_by: str
    note: str | None


class BillCollectionOut(BaseModel):
    """A bill's collection panel: amount, what was written off, late fees, plan."""

    bill_id: int
    number: str
    account_id: int
    account_number: str
    customer_name: str
    period: str
    kind: str
    status: str
    amount: Decimal
    due_date: date
    written_off: Decimal
    collected: Decimal
    late_fee: Decimal
    late_fee_paid: Decimal
    outstanding: Decimal  # principal + unpaid late fee
    days_overdue: int
    write_offs: list[WriteOffOut]
    plan: PlanOut | None


class ArrearsRow(BaseModel):
    bill_id: int
    bill_number: str
    account_id: int
    account_number: str
    customer_name: str
    is_key_customer: bool
    period: str
    due_date: date
    days_overdue: int
    overdue: Decimal
    late_fee: Decimal
    outstanding: Decimal
    reminders_sent: int
    notice_id: int | None
    notice_status: NoticeStatus | None
    in_plan: bool
    org_unit_id: int


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: int = Field(gt=0)
    reason: str = Field(min_length=2, max_length=200)


class NoticeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    note: str | None = Field(None, max_length=200)


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    account_number: str = ""
    status: NoticeStatus
    reason: str
    arrears_at_creation: Decimal
    notice_days: int
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    served_on: date | None
    earliest_disconnect_on: date | None
    closed_at: datetime | None
    closed_by: str | None
    org_unit_id: int


class UnitSummary(BaseModel):
    unit_id: int
    name: str
    name_en: str
    kind: str
    depth: int  # below the top unit in the caller's scope
    bills: int
    billed: Decimal
    collected: Decimal
    written_off: Decimal
    outstanding: Decimal
    late_fees: Decimal
    late_fees_outstanding: Decimal
    collection_rate: Decimal | None  # written off / billed, percent


class KeyAccount(BaseModel):
    account_id: int
    account_number: str
    customer_name: str
    is_key_customer: bool
    large: bool  # a bill at or above the configured monthly amount
    billed: Decimal
    outstanding: Decimal
    org_unit_id: int


class SummaryOut(BaseModel):
    period: str | None
    date_from: date | None
    date_to: date | None
    computed_at: datetime
    large_threshold: Decimal
    units: list[UnitSummary]
    key_accounts: list[KeyAccount]


class JobResult(BaseModel):
    day: date
    rows: int
    amount: Decimal = Decimal("0.00")
