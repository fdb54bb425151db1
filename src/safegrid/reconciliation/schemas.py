"""What the console's reconciliation forms accept (REC-3, REC-4), checked before a service
runs so a bad field comes back named next to its input."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from safegrid.reconciliation.models import CaseCause


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class CaseAssign(BaseModel):
    case_id: int = Field(gt=0)
    owner_id: int = Field(gt=0)


class CaseResolve(BaseModel):
    case_id: int = Field(gt=0)
    cause: CaseCause
    detail: str = Field(min_length=1, max_length=400)
    ticket: str | None = Field(default=None, max_length=64)
    responsible: str | None = Field(default=None, max_length=64)
    payment_id: int | None = Field(default=None, gt=0)

    _blanks = field_validator("ticket", "responsible", "payment_id", mode="before")(_blank_is_none)


class CaseClose(BaseModel):
    case_id: int = Field(gt=0)
    note: str = Field(min_length=1, max_length=400)


class ItemReview(BaseModel):
    item_id: int = Field(gt=0)
    decision: Literal["accept", "turn_red"]
    reason: str = Field(min_length=1, max_length=400)

    @property
    def accept(self) -> bool:
        return self.decision == "accept"


class ReportSign(BaseModel):
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    otp: str = Field(pattern=r"^\d{6}$")
