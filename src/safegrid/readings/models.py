"""Meter readings (BILL-2): daily registers, register reads, import batches, and the
monthly usage a closed period freezes for billing.

Register figures are meter units (what the dial shows); ``kwh`` figures are energy, the
register difference × the meter's multiplier. ``flags`` lists what validation noticed
but accepted (``estimated``, ``rollover``, ``outlier``, ``apportioned``), comma-separated.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum

BigId = BigInteger().with_variant(Integer, "sqlite")


class DailyReading(OrgScoped, Base):
    """A meter's register at the end of a day and that day's energy (AMI daily freeze).
    Time-of-use meters also carry the day's peak (08:00–22:00) and valley energy, which
    add up to ``kwh`` exactly."""

    __tablename__ = "daily_readings"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    register_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    kwh: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    source: Mapped[str] = mapped_column(String(12), default="ami")  # ami / manual / terminal
    peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    flags: Mapped[str | None] = mapped_column(String(40), default=None)


class ReadSource(enum.StrEnum):
    MANUAL = "manual"  # a meter reader's entry (console, API, handheld)
    IMPORT = "import"  # CSV / Excel bulk import
    AMI = "ami"  # derived from the interval feed


class RegisterRead(OrgScoped, Base):
    """Total, peak and valley registers of a meter on a date, with the energy since the
    meter's previous reading. One per meter and date (the idempotency key)."""

    __tablename__ = "register_reads"
    __table_args__ = (UniqueConstraint("meter_id", "read_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    read_on: Mapped[date] = mapped_column(Date)
    total_register: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    peak_register: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    valley_register: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    # None on a meter's first reading: there is nothing to subtract from.
    kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    estimated: Mapped[bool] = mapped_column(default=False)
    flags: Mapped[str | None] = mapped_column(String(40), default=None)
    source: Mapped[ReadSource] = mapped_column(str_enum(ReadSource, 12))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), default=None)
    entered_by: Mapped[str] = mapped_column(String(64))
    # Not indexed (unlike other scoped tables): reads are always looked up by meter, and a
    # third B-tree would cost bulk imports a fifth of their speed.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))


class BatchKind(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    AMI = "ami"


class ImportBatch(OrgScoped, Base):
    """One accepted file. A rejected file leaves no batch (and no reading) behind."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[BatchKind] = mapped_column(str_enum(BatchKind, 8))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(Integer)
    readings: Mapped[int] = mapped_column(Integer)  # register reads or daily readings written
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ReadingPeriod(Base):
    """A billing month ('YYYY-MM'). Closing it freezes the month's usage; bill runs refuse
    periods that are not closed (BILL-4). ``closed`` here means closed for the whole
    utility; a unit that closed only its own subtree has a :class:`PeriodClosure`."""

    __tablename__ = "reading_periods"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[PeriodStatus] = mapped_column(str_enum(PeriodStatus, 16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class PeriodClosure(Base):
    """A period closed for one unit's subtree. Not row-scoped on purpose: staff of a
    county must see that their city closed the month above them."""

    __tablename__ = "reading_period_closures"
    __table_args__ = (UniqueConstraint("period", "org_unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(255))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str] = mapped_column(String(64))
    meters: Mapped[int] = mapped_column(Integer)
    estimated: Mapped[int] = mapped_column(Integer)


class MonthlyUsage(OrgScoped, Base):
    """A meter's validated consumption for one month, multiplier applied — what bill runs
    read. Peak/valley are set for time-of-use meters only, and then add up to ``kwh``."""

    __tablename__ = "monthly_usage"
    __table_args__ = (UniqueConstraint("meter_id", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    estimated: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(12))  # ami / register / estimate
