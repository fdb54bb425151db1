"""Analytics tables: the model artefacts the platform used, the monthly theft scores of
the utility's meters with the inspection that followed (ANA-1), and the arrears risk of
each newly issued bill with the early reminder it brought (ANA-3), and the tariff advice
priced on each account's own readings (ANA-4)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money


class AnalyticsModel(Base):
    """One trained artefact (safegrid.analytics.artefacts): where its file is, what data it
    was trained on, with which parameters, and how it scored in its evaluation."""

    __tablename__ = "analytics_models"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(64))
    training_data_sha256: Mapped[str] = mapped_column(String(64))
    training_rows: Mapped[int] = mapped_column(Integer)
    params: Mapped[str] = mapped_column(Text)  # JSON
    evaluation: Mapped[str] = mapped_column(Text)  # JSON
    path: Mapped[str] = mapped_column(String(500))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InspectionResult(enum.StrEnum):
    THEFT = "theft"  # confirmed on site: the label for the next training is 1
    CLEAN = "clean"  # nothing found: label 0


class TheftScore(OrgScoped, Base):
    """A meter's theft score in one monthly run, its rank among its unit's meters, the
    reason in words, the inspection order it opened and the inspection's finding."""

    __tablename__ = "theft_scores"
    __table_args__ = (UniqueConstraint("period", "meter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("analytics_models.id"))
    score: Mapped[float] = mapped_column(Float)
    unit_rank: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id"), unique=True, default=None
    )
    result: Mapped[InspectionResult | None] = mapped_column(
        str_enum(InspectionResult, 8), default=None
    )
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ArrearsScore(OrgScoped, Base):
    """A newly issued bill's risk of not being paid by its due date (scored once, when the
    bill is new), its rank in the unit, the reason in words, and the early reminder sent
    before the due date when the risk was high."""

    __tablename__ = "arrears_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("analytics_models.id"))
    score: Mapped[float] = mapped_column(Float)
    unit_rank: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection_reminders.id"), unique=True, default=None
    )
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TariffAdvice(OrgScoped, Base):
    """ANA-4: an account's cheapest tariff option priced on its own last twelve months of
    peak/valley readings (``period`` = the last of them), pushed to the customer once."""

    __tablename__ = "tariff_advice"
    __table_args__ = (UniqueConstraint("account_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    current_code: Mapped[str] = mapped_column(String(40))
    advised_code: Mapped[str] = mapped_column(String(40))
    advised_name: Mapped[str] = mapped_column(String(200))  # "中文 / English"
    current_cost: Mapped[Decimal] = mapped_column(Money)
    advised_cost: Mapped[Decimal] = mapped_column(Money)
    saving: Mapped[Decimal] = mapped_column(Money)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
