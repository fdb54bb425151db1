"""Risk API shapes (PAY-4, PAY-5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safegrid.payments.risk.models import CaseStatus, RuleAction, RuleKind


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    account_number: str
    org_unit_id: int
    status: CaseStatus
    rules: str
    opened_at: datetime
    opened_by: str
    suspended_until: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    decision: dict[str, Any] = Field(
        description="the decision that opened the case: request, amount, fired rules + inputs"
    )


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=500)


class ExtendIn(NoteIn):
    hours: int = Field(48, ge=1, le=720)


class RuleIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    kind: RuleKind
    threshold: int = Field(ge=0, le=100_000)
    window_minutes: int = Field(ge=1)
    action: RuleAction
    suspend_minutes: int = Field(ge=1)
    amount: Decimal | None = None
    enabled: bool = True


class RuleSetIn(BaseModel):
    note: str = Field(min_length=1, max_length=200)
    rules: list[RuleIn] = Field(min_length=1, max_length=50)


class RuleOut(RuleIn):
    model_config = ConfigDict(from_attributes=True)


class RuleSetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    created_at: datetime | None
    created_by: str
    note: str
    rules: list[RuleOut]
