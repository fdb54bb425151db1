"""Tariffs and their versions by effective date (BILL-3).

Tariffs are utility-wide configuration, not org-scoped: every county bills its
residents at the province's price. A version covers whole billing months (from the 1st
of a month to the last day of a month, or open-ended); versions of one tariff never
overlap; a version a bill has used is never edited — it is closed and followed by a new
one, so every issued bill keeps pointing at the prices it was computed from.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.tariffs.terms import Category, Structure, Terms, ThresholdPeriod

Price = Numeric(10, 4, asdecimal=True)
# Prices are key fields (AUD-3): a change, or a new version of an existing tariff, alerts.
PRICE_KEY = {"key_field": "tariff", "key_field_on_insert": True}
Kwh = Numeric(12, 2, asdecimal=True)


class MeterKind(enum.StrEnum):
    """Which meters a tariff prices: a time-of-use-only tariff (structure ``tou``) serves
    TOU meters; every other structure is the category's standard tariff, which also prices
    TOU meters when its version has peak/valley prices."""

    STANDARD = "standard"
    TOU = "tou"

    @classmethod
    def of(cls, structure: Structure) -> MeterKind:
        return cls.TOU if structure == Structure.TOU else cls.STANDARD


class Tariff(Base):
    __tablename__ = "tariffs"
    # One standard and at most one TOU-only tariff per category: an account's tariff
    # follows from its category and meter, without a per-account assignment.
    __table_args__ = (UniqueConstraint("category", "meter_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category: Mapped[Category] = mapped_column(str_enum(Category, 16))
    structure: Mapped[Structure] = mapped_column(str_enum(Structure, 16))
    meter_kind: Mapped[MeterKind] = mapped_column(str_enum(MeterKind, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    versions: Mapped[list[TariffVersion]] = relationship(
        back_populates="tariff", order_by="TariffVersion.effective_from", lazy="selectin"
    )


class TariffVersion(Base):
    __tablename__ = "tariff_versions"
    __table_args__ = (UniqueConstraint("tariff_id", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)  # first day of a month
    effective_to: Mapped[date | None] = mapped_column(Date, default=None)  # inclusive, month end
    base_price: Mapped[Decimal] = mapped_column(
        Price, info=PRICE_KEY
    )  # flat / tier-1 / shoulder price
    peak_price: Mapped[Decimal | None] = mapped_column(Price, default=None, info=PRICE_KEY)
    valley_price: Mapped[Decimal | None] = mapped_column(Price, default=None, info=PRICE_KEY)
    tier1_limit: Mapped[Decimal | None] = mapped_column(Kwh, default=None)
    tier2_limit: Mapped[Decimal | None] = mapped_column(Kwh, default=None)
    tier2_addon: Mapped[Decimal] = mapped_column(Price, default=Decimal("0"), info=PRICE_KEY)
    tier3_addon: Mapped[Decimal] = mapped_column(Price, default=Decimal("0"), info=PRICE_KEY)
    threshold_period: Mapped[ThresholdPeriod | None] = mapped_column(
        str_enum(ThresholdPeriod, 16), default=None
    )
    # The tier year starts in this month (1 = calendar year); annual thresholds only.
    tier_year_start_month: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))

    tariff: Mapped[Tariff] = relationship(back_populates="versions")

    def terms(self, structure: Structure) -> Terms:
        return Terms(
            structure=structure,
            base_price=self.base_price,
            peak_price=self.peak_price,
            valley_price=self.valley_price,
            tier1_limit=self.tier1_limit,
            tier2_limit=self.tier2_limit,
            tier2_addon=self.tier2_addon,
            tier3_addon=self.tier3_addon,
        )

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )
