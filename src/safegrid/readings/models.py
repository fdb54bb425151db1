"""Daily register readings (BILL-2). `kwh` = register difference × meter multiplier."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base


class DailyReading(OrgScoped, Base):
    __tablename__ = "daily_readings"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    register_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    kwh: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    source: Mapped[str] = mapped_column(String(12), default="ami")  # ami / manual / terminal
