"""What the demo's background history needs to resume: the window and seed it was planned
with, one row per calendar month of it, and each meter's drawn load.

``safegrid demo generate`` writes the core utility (org, staff, customers, tariffs) and
these rows in one transaction; ``safegrid demo history`` then fills the months oldest
first, each month's steps idempotent, so a killed or restarted run picks up where the
database says it stopped. Platform-wide, not org-scoped: the demo belongs to no unit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform.db import Base, UTCDateTime


class DemoHistory(Base):
    """The one planned history of this database's demo utility."""

    __tablename__ = "demo_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    first_day: Mapped[date] = mapped_column(Date)
    # Fixed when planned: a run resumed on a later day finishes the same window.
    last_day: Mapped[date] = mapped_column(Date)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DemoHistoryMonth(Base):
    """One calendar month of the window: its readings, bills (complete months only) and
    the direct-debit payments of those bills."""

    __tablename__ = "demo_history_months"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    first_day: Mapped[date] = mapped_column(Date)  # inside the window
    last_day: Mapped[date] = mapped_column(Date)
    billed: Mapped[bool] = mapped_column(default=False)  # a complete month: closed and billed
    readings: Mapped[int] = mapped_column(BigInteger, default=0)
    # Readings are committed a few blocks of meters at a time, in meter-id order: the last
    # meter written (0 = none). Moved only from the value a runner read, so two runners
    # never write the same block.
    readings_through: Mapped[int] = mapped_column(Integer, default=0)
    bills: Mapped[int] = mapped_column(Integer, default=0)
    payments: Mapped[int] = mapped_column(Integer, default=0)
    readings_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # all written
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DemoMeterLoad(Base):
    """How one demo meter's customer uses energy (``profiles.LoadParams``) and where its
    register stood the day before the window: the readings of any month are drawn again
    from these and the seed, identically however often the run was interrupted."""

    __tablename__ = "demo_meter_loads"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    kind: Mapped[int] = mapped_column(SmallInteger)
    base_kwh: Mapped[float] = mapped_column(Float)
    seasonality: Mapped[float] = mapped_column(Float)
    weekend: Mapped[float] = mapped_column(Float)
    noise: Mapped[float] = mapped_column(Float)
    start_register_c: Mapped[int] = mapped_column(BigInteger)
