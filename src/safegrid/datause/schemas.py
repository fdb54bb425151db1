"""Request and response shapes of the data-use API (DATA-4, DATA-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from safegrid.datause.fields import revealable
from safegrid.datause.models import RequestKind, RequestStatus


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RequestKind = RequestKind.VIEW
    purpose: str = Field(min_length=4, max_length=1000)
    fields: list[str] = Field(min_length=1, max_length=8)
    customer_ids: list[int] | None = Field(None, min_length=1, max_length=500)
    scope_unit_id: int | None = Field(None, gt=0)
    period_from: datetime
    period_to: datetime

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        known = revealable()
        unknown = [f for f in value if f not in known]
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; one of {sorted(known)}")
        return sorted(set(value))

    @field_validator("period_from", "period_to")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a timezone (e.g. +08:00)")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> RequestCreate:
        if (self.customer_ids is None) == (self.scope_unit_id is None):
            raise ValueError("give either customer_ids or scope_unit_id")
        return self


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str | None = Field(None, max_length=500)


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: RequestKind
    requester_id: int
    requester_name: str
    org_unit_id: int
    purpose: str
    fields: list[str]
    customer_ids: list[int] | None
    scope_unit_id: int | None
    period_from: datetime
    period_to: datetime
    status: RequestStatus
    created_at: datetime
    head_name: str | None
    head_at: datetime | None
    head_note: str | None
    dso_name: str | None
    dso_at: datetime | None
    dso_note: str | None
    grant_id: int | None = None


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    kind: RequestKind
    grantee_id: int
    grantee_name: str
    fields: list[str]
    customer_ids: list[int] | None
    scope_path: str | None
    valid_from: datetime
    valid_to: datetime
    granted_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    active: bool = False


class GrantRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=4, max_length=500)


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=32)
    grant_id: int | None = Field(None, gt=0)


class RevealOut(BaseModel):
    customer_id: int
    field: str
    value: str | None
    grant_id: int
    access_log_id: int
    grant_valid_to: datetime


class AccessLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    staff_id: int | None
    staff_name: str
    channel: str
    ip: str | None
    customer_id: int
    field: str
    grant_id: int
    export_id: int | None


class ExportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "xlsx"] = "csv"
    request_id: int | None = Field(None, gt=0)


class ExportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    operator_id: int | None
    operator_name: str
    at: datetime
    dataset: str
    format: str
    request_id: int | None
    unmasked_fields: list[str]
    row_count: int
    sha256: str | None
    filename: str


class TraceOut(BaseModel):
    export_id: int
    operator_id: int | None
    operator: str
    at: datetime
    request_id: int | None
    file_unchanged: bool
