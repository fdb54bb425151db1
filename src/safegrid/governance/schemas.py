"""Request and response shapes of the account-lifecycle API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from safegrid.apicontract.durations import Duration
from safegrid.governance.models import ChangeStatus, ReviewStatus
from safegrid.security.models import AccountStatus
from safegrid.security.policy import Post


class TrainingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add_hours: Decimal = Field(Decimal(0), ge=0, le=40, decimal_places=1)
    exam_passed: bool = False
    commitment_signed: bool = False


class TrainingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: int
    username: str
    real_name: str
    status: AccountStatus
    class_hours: Decimal
    exam_passed: bool
    commitment_signed: bool
    missing: list[str]


class DepartureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: int = Field(gt=0)
    effective_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=200)


class DepartureCreated(BaseModel):
    id: int


class ComplianceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notice_id: int
    account_id: int
    username: str
    real_name: str
    org_unit_id: int
    reason: str
    received_at: datetime
    effective_at: datetime
    frozen_at: datetime | None
    sessions_revoked: int
    delay: Duration | None
    within_limit: bool | None
    late: bool


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    target_id: int = Field(gt=0)
    requested_post: Post
    reason: str = Field(min_length=4, max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field("", max_length=500)


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    target_id: int
    org_unit_id: int
    current_post: Post
    requested_post: Post
    reason: str
    status: ChangeStatus
    applicant_id: int
    applied_at: datetime
    leader_id: int | None
    leader_at: datetime | None
    head_id: int | None
    head_at: datetime | None
    executor_id: int | None
    executed_at: datetime | None
    rejection_note: str | None


class IdleDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disable: bool


class IdleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    review_id: int
    account_id: int
    username: str
    real_name: str
    org_unit_id: int
    run_month: str
    last_active_at: datetime
    status: ReviewStatus


class ServiceEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ends_on: date
