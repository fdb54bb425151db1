"""Request and response shapes of bills and bill runs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from safegrid.apicontract import input_bounds
from safegrid.billing.models import BillKind, BillStatus, RunStatus
from safegrid.tariffs.terms import Structure, ThresholdPeriod

DEFAULT_DUE_DAYS = 15


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    period: str = Field(pattern=input_bounds.PERIOD_PATTERN, examples=["2026-10"])
    due_days: int = Field(DEFAULT_DUE_DAYS, ge=1, le=90, description="days from issue to due")


class ReverseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=4, max_length=200)


class BillRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    period: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    accounts: int
    bills_created: int
    skipped: int
    total_amount: Decimal
    error: str | None
    org_unit_id: int


class BillLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    kind: str
    tier: int | None = None
    description: str
    kwh: Decimal
    price: Decimal
    amount: Decimal  # exact; the bill's amount is the rounded sum


class BillOut(BaseModel):
    id: int
    number: str
    account_id: int
    account_number: str
    customer_name: str
    period: str
    kind: BillKind
    sequence: int
    status: BillStatus
    kwh: Decimal
    amount: Decimal
    issued_at: datetime
    due_date: date
    org_unit_id: int


class TariffRef(BaseModel):
    code: str
    name: str
    name_en: str
    structure: Structure
    version_id: int
    effective_from: date
    threshold_period: ThresholdPeriod | None
    tier1_limit: Decimal | None
    tier2_limit: Decimal | None
    tier_year_start_month: int


class BillRef(BaseModel):
    id: int
    number: str


class BillDetail(BillOut):
    customer_id: int
    org_unit_name: str
    org_unit_name_en: str
    exact_amount: Decimal
    tier_prior_kwh: Decimal | None
    tariff: TariffRef | None
    run_id: int | None
    reverses: BillRef | None
    reversed_by: BillRef | None
    reason: str | None
    lines: list[BillLineOut]
    # 退补 (BILL-7): the re-priced months this bill shows (it is the account's next bill
    # after the correction), and, on a re-issued bill, the month it re-priced.
    adjustments: list[AdjustmentOut] = []
    repriced: AdjustmentOut | None = None


class RepriceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    accounts: list[str] = Field(min_length=1, max_length=1000, description="account numbers (户号)")
    from_period: str = Field(
        pattern=input_bounds.PERIOD_PATTERN,
        examples=["2026-03"],
        description="the corrected month: it and every later billed month are re-priced",
    )
    reason: str = Field(min_length=4, max_length=200)


class AdjustmentOut(BaseModel):
    """One re-priced month (退补): what was billed, what it costs now, the difference."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    period: str
    original_bill_id: int
    reversal_bill_id: int
    new_bill_id: int
    next_bill_id: int | None
    original_kwh: Decimal
    repriced_kwh: Decimal
    original_amount: Decimal
    repriced_amount: Decimal
    difference: Decimal
    reason: str
    created_at: datetime
    created_by: str


class RepriceOut(BaseModel):
    from_period: str
    accounts: int
    months_checked: int  # billed months looked at, over all accounts
    adjustments: list[AdjustmentOut]  # the months whose charge changed; empty: nothing to do
    difference: Decimal
