"""Request and response shapes of tariff configuration."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from safegrid.tariffs.models import MeterKind
from safegrid.tariffs.terms import Category, Structure, ThresholdPeriod

PriceField = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=4)]
KwhField = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


class TariffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    name: str = Field(min_length=2, max_length=100)
    name_en: str = Field(min_length=2, max_length=100)
    category: Category
    structure: Structure


class VersionCreate(BaseModel):
    """A new price version. ``close_current``: end the open-ended version before it
    (allowed only if no bill of a later month used it) instead of refusing the overlap."""

    model_config = ConfigDict(extra="forbid")

    effective_from: date
    effective_to: date | None = None
    base_price: PriceField
    peak_price: PriceField | None = None
    valley_price: PriceField | None = None
    tier1_limit: KwhField | None = None
    tier2_limit: KwhField | None = None
    tier2_addon: PriceField = Decimal("0")
    tier3_addon: PriceField = Decimal("0")
    threshold_period: ThresholdPeriod | None = None
    tier_year_start_month: int = Field(1, ge=1, le=12)
    note: str | None = Field(None, max_length=200)
    close_current: bool = False


class VersionUpdate(BaseModel):
    """Corrections to a version no bill has used yet."""

    model_config = ConfigDict(extra="forbid")

    effective_to: date | None = None
    base_price: PriceField | None = None
    peak_price: PriceField | None = None
    valley_price: PriceField | None = None
    tier1_limit: KwhField | None = None
    tier2_limit: KwhField | None = None
    tier2_addon: PriceField | None = None
    tier3_addon: PriceField | None = None
    tier_year_start_month: int | None = Field(None, ge=1, le=12)
    note: str | None = Field(None, max_length=200)


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tariff_id: int
    effective_from: date
    effective_to: date | None
    base_price: Decimal
    peak_price: Decimal | None
    valley_price: Decimal | None
    tier1_limit: Decimal | None
    tier2_limit: Decimal | None
    tier2_addon: Decimal
    tier3_addon: Decimal
    threshold_period: ThresholdPeriod | None
    tier_year_start_month: int
    note: str | None
    created_at: datetime
    created_by: str
    used: bool = False  # a bill was computed from it: immutable


class TariffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str
    category: Category
    structure: Structure
    meter_kind: MeterKind
    versions: list[VersionOut]

    def current(self, on: date) -> VersionOut | None:
        return next(
            (
                v
                for v in self.versions
                if v.effective_from <= on and (v.effective_to is None or on <= v.effective_to)
            ),
            None,
        )
