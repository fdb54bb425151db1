"""Request and response shapes of 业扩 applications (API, console forms, portal pages).
Responses carry masked phone and address only (DATA-3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from safegrid.applications.models import ApplicationChannel, ApplicationStatus

_FORM = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApplicationSubmit(BaseModel):
    """What the applicant fills in. ``site_address`` and ``contact_phone`` left empty mean
    "as in my archive" (the pre-filled form shows them masked; the service copies the
    archive's values, so the plain values never travel through the form)."""

    model_config = _FORM

    account_no: str = Field(min_length=4, max_length=20, pattern=r"^[0-9A-Za-z]+$")
    kind: str = Field(min_length=2, max_length=24)
    capacity_kva: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    applicant_name: str | None = Field(default=None, min_length=2, max_length=100)
    site_address: str | None = Field(default=None, min_length=6, max_length=200)
    contact_phone: str | None = Field(default=None, pattern=r"^1[3-9][0-9]{9}$")
    note: str = Field(default="", max_length=500)


class RequestMore(BaseModel):
    model_config = _FORM

    missing: str = Field(min_length=2, max_length=500)
    # Working days the applicant gets; the configured default when left out.
    working_days: int | None = Field(default=None, ge=1, le=30)


class Supply(BaseModel):
    model_config = _FORM

    note: str = Field(default="", max_length=500)


class Decision(BaseModel):
    model_config = _FORM

    note: str = Field(default="", max_length=500)


class Rejection(BaseModel):
    model_config = _FORM

    reason: str = Field(min_length=2, max_length=300)


class ApplicationForm(BaseModel):
    """The form pre-filled from the archive (smart form filling)."""

    account_no: str
    customer_number: str
    customer_kind: str
    applicant_name: str
    site_address: str  # masked
    contact_phone: str | None  # masked
    voltage_kv: Decimal | None
    current_capacity_kva: Decimal | None
    contract_capacity_kva: Decimal | None
    meters: list[str]
    kinds: dict[str, str]  # code → "中文 / English"
    required_documents: dict[str, list[str]]  # kind code → document types


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    doc_type: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: str
    status: ApplicationStatus
    actor: str
    note: str
    deadline: date | None
    at: datetime


class ApplicationOut(BaseModel):
    id: int
    number: str
    kind: str
    kind_label: str
    status: ApplicationStatus
    channel: ApplicationChannel
    org_unit_id: int
    customer_id: int
    account_no: str
    applicant_name: str
    site_address: str  # masked
    contact_phone: str | None  # masked
    capacity_kva: Decimal
    current_capacity_kva: Decimal | None
    note: str
    submitted_at: datetime
    handle_by: date
    missing: str | None
    supply_by: date | None
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str | None
    work_order_id: int | None
    # Past its deadline: the hall's while submitted, the applicant's while more is asked.
    overdue: bool


class ApplicationDetail(ApplicationOut):
    documents: list[DocumentOut]
    steps: list[StepOut]
