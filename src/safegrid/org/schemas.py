"""Org unit shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from safegrid.org.models import UnitKind


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str
    kind: UnitKind
    parent_id: int | None
    path: str


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=32, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=2, max_length=100)
    name_en: str = Field(min_length=2, max_length=100)
    kind: UnitKind
    parent_id: int = Field(gt=0)
