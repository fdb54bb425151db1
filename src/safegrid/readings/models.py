"""Daily register readings (BILL-2). `kwh` = register difference × meter multiplier."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum


class DailyReading(OrgScoped, Base):
    __tablename__ = "daily_readings"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    register_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    kwh: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    source: Mapped[str] = mapped_column(String(12), default="ami")  # ami / manual / terminal


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ReadingPeriod(Base):
    """A billing month ('YYYY-MM'). Closing it freezes the month's usage; bill runs refuse
    periods that are not closed (BILL-4)."""

    __tablename__ = "reading_periods"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[PeriodStatus] = mapped_column(str_enum(PeriodStatus, 16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class MonthlyUsage(OrgScoped, Base):
    """A meter's validated consumption for one month, multiplier applied — what bill runs
    read. Peak/valley are set for time-of-use meters only."""

    __tablename__ = "monthly_usage"
    __table_args__ = (UniqueConstraint("meter_id", "period"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    estimated: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(12))  # ami / register / estimate
