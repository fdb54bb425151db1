"""Readings API shapes (BILL-2)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safegrid.apicontract import input_bounds

PERIOD_PATTERN = input_bounds.PERIOD_PATTERN


class ReadingEntry(BaseModel):
    """A meter reader's reading: registers as shown on the dial."""

    model_config = ConfigDict(extra="forbid")

    asset_no: str = Field(min_length=1, max_length=32)
    read_on: date
    total: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    peak: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    valley: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    estimated: bool = False
    # The reader's reason when the usage looks wrong: the reading then waits for review.
    confirm_reason: str | None = Field(None, max_length=200)

    @field_validator("asset_no")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    def record(self) -> dict[str, str]:
        def text(value: Decimal | None) -> str:
            return "" if value is None else f"{value:f}"

        return {
            "asset_no": self.asset_no,
            "read_on": self.read_on.isoformat(),
            "total": text(self.total),
            "peak": text(self.peak),
            "valley": text(self.valley),
            "estimated": "1" if self.estimated else "0",
        }


class RegisterReadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meter_id: int
    read_on: date
    total_register: Decimal
    peak_register: Decimal | None
    valley_register: Decimal | None
    kwh: Decimal | None
    peak_kwh: Decimal | None
    valley_kwh: Decimal | None
    estimated: bool
    flags: str | None
    source: str
    entered_by: str


class ReadingReviewOut(BaseModel):
    """An abnormal reading held for a reviewer instead of being stored (202 Accepted)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    meter_id: int
    read_on: date
    total_register: Decimal
    kinds: str
    previous_register: Decimal | None
    low: Decimal | None
    high: Decimal | None
    reason: str
    entered_by: str
    status: str


class WalkingOrderIn(BaseModel):
    """A reading book's walking order: asset numbers, one a line, in the order walked."""

    model_config = ConfigDict(extra="forbid")

    order: str = Field(max_length=60_000)

    def asset_nos(self) -> list[str]:
        return self.order.splitlines()


class ReviewDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"]
    note: str = Field("", max_length=200)


class DailyReadingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    register_kwh: Decimal
    kwh: Decimal
    peak_kwh: Decimal | None
    valley_kwh: Decimal | None
    source: str
    flags: str | None


class MonthlyUsageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: str
    kwh: Decimal
    peak_kwh: Decimal | None
    valley_kwh: Decimal | None
    estimated: bool
    source: str


class MeterReadings(BaseModel):
    meter_id: int
    asset_no: str
    multiplier: int
    is_tou: bool
    register_reads: list[RegisterReadOut]
    daily: list[DailyReadingOut]
    monthly: list[MonthlyUsageOut]


class RowIssue(BaseModel):
    row: int
    field: str
    code: str
    message: str


class ImportReport(BaseModel):
    """The outcome of one file. ``accepted`` false: nothing was written, and ``errors``
    lists the first problems by row and field (``error_count`` counts them all)."""

    accepted: bool
    filename: str
    kind: str
    rows: int
    readings: int = 0
    batch_id: int | None = None
    error_count: int = 0
    error_counts: dict[str, int] = Field(default_factory=dict)
    errors: list[RowIssue] = Field(default_factory=list)
    flagged: int = 0
    flag_counts: dict[str, int] = Field(default_factory=dict)
    notes: list[RowIssue] = Field(default_factory=list)
    # Implausible readings held for review instead of stored (readings.intake): by kind
    # (outlier, jump, zero), and the readings held back with them (after_queued,
    # review_waiting); ``held_rows`` lists both by row.
    queued: int = 0
    queued_counts: dict[str, int] = Field(default_factory=dict)
    held: int = 0
    held_counts: dict[str, int] = Field(default_factory=dict)
    held_rows: list[RowIssue] = Field(default_factory=list)
    seconds: float = 0.0


class ClosePeriodRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, description="YYYY-MM")


class CloseSummary(BaseModel):
    period: str
    org_unit_id: int | None
    already_closed: bool
    utility_wide: bool
    meters: int
    from_daily: int
    from_registers: int
    estimated: int


class PeriodOut(BaseModel):
    period: str
    status: str  # open | closed (utility-wide) | closed_here (the caller's subtree)
    closed_at: datetime | None
    closed_by: str | None
    usage_rows: int


class CorrectionProposalIn(BaseModel):
    """A proposed correction of a closed month's usage (BILL-7), from the console form."""

    model_config = ConfigDict(extra="forbid")

    asset_no: str = Field(min_length=1, max_length=32)
    period: str = Field(pattern=PERIOD_PATTERN)
    kwh: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    peak_kwh: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    valley_kwh: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    reason: str = Field(min_length=4, max_length=200)
    evidence: str = Field(min_length=1, max_length=500)

    @field_validator("peak_kwh", "valley_kwh", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class CorrectionDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    note: str = Field("", max_length=200)


class CorrectionOut(BaseModel):
    """A correction request after a proposal or a decision; what approval re-priced."""

    id: int
    status: Literal["pending", "approved", "rejected"]
    repriced_months: int | None = None
    repriced_difference: Decimal | None = None
