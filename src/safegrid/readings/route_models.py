"""Reading books (抄表段) as a reader walks them, and readings held for review (BILL-2).

A reading book is a :class:`~safegrid.customers.models.ReadingArea`; its walking order is
data the reading supervisor edits (:class:`RouteStop`). A reading whose usage looks wrong
(outlier, jump, zero, backwards) is not stored as a register read until a reviewer
accepts it: it waits as a :class:`ReadingReview` with the reader's reason.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.readings.models import BigId, ReadSource


class RouteStop(OrgScoped, Base):
    """A meter's place in its book's walking order; meters without a stop follow the
    ordered ones in asset order. Positions are unique per book (a database guarantee)."""

    __tablename__ = "reading_route_stops"
    __table_args__ = (
        UniqueConstraint("reading_area_id", "position"),
        UniqueConstraint("reading_area_id", "meter_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reading_area_id: Mapped[int] = mapped_column(ForeignKey("reading_areas.id"))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    position: Mapped[int] = mapped_column(Integer)


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # stored as a register read
    REJECTED = "rejected"  # the reader reads the meter again


class ReadingReview(OrgScoped, Base):
    """An abnormal reading the reader confirmed with a reason, waiting for a reviewer.
    ``kinds`` lists what was abnormal (outlier, jump, zero, backwards), comma-separated;
    ``low``/``high`` is the plausible total-register range shown to the reader.

    A reading of a batch (file import, AMI feed, terminal upload) is held the same way,
    with its ``source`` and ``batch_id``; ``kwh``/``peak_kwh``/``valley_kwh`` keep the
    energy validation computed, which an accepted AMI day is stored with."""

    __tablename__ = "reading_reviews"
    __table_args__ = (
        # One reading of a meter waits at a time: a second one is refused, not queued.
        Index(
            "uq_reading_reviews_pending_meter",
            "meter_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_reading_reviews_status_entered", "status", "entered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    read_on: Mapped[date] = mapped_column(Date)
    total_register: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    peak_register: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    valley_register: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    estimated: Mapped[bool] = mapped_column(default=False)
    kinds: Mapped[str] = mapped_column(String(40))
    previous_register: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    low: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    high: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    reason: Mapped[str] = mapped_column(String(200))
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, 12), default=ReviewStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decision_note: Mapped[str | None] = mapped_column(String(200), default=None)
    register_read_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_reads.id"), default=None
    )
    source: Mapped[ReadSource] = mapped_column(
        str_enum(ReadSource, 12), default=ReadSource.MANUAL, server_default=ReadSource.MANUAL.value
    )
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), default=None)
    kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
