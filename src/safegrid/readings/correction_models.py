"""Corrections of a closed month's usage waiting for approval (BILL-7 退补, issue 13).

A stored reading is never edited. When a closed month's frozen usage is wrong, someone
who takes readings proposes a correction — the old and the new figures, the reason and
the evidence — and a second person who may re-price bills approves it (never the
proposer) or rejects it. Only approval changes ``monthly_usage``, and it re-prices the
account's bills in the same transaction (:mod:`safegrid.readings.correction_requests`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money


class CorrectionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # applied and re-priced
    REJECTED = "rejected"  # nothing changed


class UsageCorrectionRequest(OrgScoped, Base):
    """One proposed correction of meter ``meter_id``'s frozen usage in ``period``.
    ``old_*`` is the frozen figure when proposed; approval refuses when it has moved."""

    __tablename__ = "usage_correction_requests"
    __table_args__ = (
        # One open proposal per meter and month: a second one is refused, not queued.
        Index(
            "uq_usage_corrections_pending",
            "meter_id",
            "period",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_usage_corrections_status_proposed", "status", "proposed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    period: Mapped[str] = mapped_column(String(7))
    old_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    old_peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    old_valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    new_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    new_peak_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    new_valley_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    reason: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str] = mapped_column(String(500))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[CorrectionStatus] = mapped_column(
        str_enum(CorrectionStatus, 12), default=CorrectionStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decision_note: Mapped[str | None] = mapped_column(String(200), default=None)
    # What approval re-priced: the adjusted months and their total difference (yuan).
    repriced_months: Mapped[int | None] = mapped_column(Integer, default=None)
    repriced_difference: Mapped[Decimal | None] = mapped_column(Money, default=None)
