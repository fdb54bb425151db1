"""Hazard reports, 安全随手拍 (OPS-7). An anonymous report keeps no identity at all: no
name, no phone, no staff account, no network address (the audit entry of its intake names
a system actor with no address either)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum


class HazardStatus(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    FIXED = "fixed"
    REJECTED = "rejected"


class HazardReport(OrgScoped, Base):
    __tablename__ = "secops_hazard_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    reporter_name: Mapped[str | None] = mapped_column(String(64), default=None)
    reporter_phone: Mapped[str | None] = mapped_column(
        String(11), default=None, info={"sensitive": "phone"}
    )
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    photo_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[HazardStatus] = mapped_column(str_enum(HazardStatus, 16), index=True)
    level: Mapped[int | None] = mapped_column(Integer, default=None)  # 1 minor … 3 major
    assignee: Mapped[str | None] = mapped_column(String(64), default=None)
    triaged_by: Mapped[str | None] = mapped_column(String(64), default=None)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    fix_note: Mapped[str | None] = mapped_column(String(500), default=None)
    reward: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
