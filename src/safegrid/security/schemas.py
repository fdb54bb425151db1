"""Request and response shapes of authentication, staff and audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safegrid.security.models import AccountStatus, SessionStage
from safegrid.security.policy import Post


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    otp: str = Field("", max_length=8)


class LocationVerify(BaseModel):
    """Second step of a login from a new location (IAM-3): the challenge and its SMS code."""

    model_config = ConfigDict(extra="forbid")

    challenge_id: str = Field(min_length=20, max_length=64)
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class SecondVerificationOut(BaseModel):
    """401 answer of ``POST /api/auth/token`` when the location is new (IAM-3)."""

    detail: str
    code: str = "second_verification_required"
    challenge_id: str
    sent_to: str
    expires_in: int


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - OAuth token type, not a secret
    stage: SessionStage
    expires_in: int


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TotpEnrolment(BaseModel):
    secret: str
    otpauth_uri: str


class TotpConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=6, max_length=8)


class MeOut(BaseModel):
    id: int | None
    username: str
    real_name: str
    post: Post | None
    org_unit_id: int | None
    permissions: list[str]


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    stage: SessionStage
    ip: str | None
    user_agent: str | None
    created_at: datetime
    expires_at: datetime


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    real_name: str
    post: Post
    status: AccountStatus
    org_unit_id: int
    must_change_password: bool
    totp_enrolled: bool
    last_login_at: datetime | None
    locked_until: datetime | None


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9._-]+$")
    real_name: str = Field(min_length=2, max_length=64)
    post: Post
    org_unit_id: int = Field(gt=0)
    initial_password: str = Field(min_length=1, max_length=256)
    mobile: str | None = Field(None, pattern=r"^1[3-9][0-9]{9}$")


class MobileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    mobile: str = Field(pattern=r"^1[3-9][0-9]{9}$")


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_name: str
    channel: str
    ip: str | None
    action: str
    object_type: str
    object_id: str | None
    org_unit_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str | None
