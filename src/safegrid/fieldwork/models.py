"""Work orders (ORG-1: each belongs to one unit) with their crew, site, route, risk level
and working window, and the states the field work moves through (FLD-1..8)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
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


class WorkOrderKind(enum.StrEnum):
    INSTALL = "install"  # 业扩 installation
    REPLACE = "replace"
    INSPECT = "inspect"
    DISCONNECT = "disconnect"  # arrears workflow
    RECONNECT = "reconnect"
    READING = "reading"
    REPAIR = "repair"
    THEFT_INSPECTION = "theft_inspection"  # opened by analytics


class WorkRisk(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"  # climbing: two preparations, two reports (FLD-3); weather ban (FLD-5)
    LIVE = "live"  # live work: supervisor within 3 m of the operator (FLD-4); also high risk


class WorkOrderStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"  # crew planned, not yet sent out
    DISPATCHED = "dispatched"  # passed the safety gates, sent to the operator
    ACCEPTED = "accepted"
    STARTED = "started"
    STOPPED = "stopped"  # halted by a control (resistance, weather, supervisor distance)
    FINISHED = "finished"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    DONE = "done"
    CANCELLED = "cancelled"


# Statuses whose meter an assignee may still see; a finished order grants nothing (IAM-7).
LIVE_STATUSES = (
    WorkOrderStatus.OPEN,
    WorkOrderStatus.ASSIGNED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.STARTED,
    WorkOrderStatus.STOPPED,
)


class WorkOrder(OrgScoped, Base):
    __tablename__ = "work_orders"
    # A new connection has no meter yet: only an installation (and the repair its
    # checklist may open) goes to a bare site.
    __table_args__ = (
        CheckConstraint(
            "meter_id IS NOT NULL OR kind IN ('install', 'repair')", name="meter_or_site_work"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[WorkOrderKind] = mapped_column(str_enum(WorkOrderKind, 16))
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"), index=True)
    # The operator; ``supervisor_id`` the safety supervisor (监护人) of the crew.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), index=True, default=None
    )
    supervisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), index=True, default=None
    )
    status: Mapped[WorkOrderStatus] = mapped_column(str_enum(WorkOrderStatus, 16), index=True)
    risk: Mapped[WorkRisk] = mapped_column(str_enum(WorkRisk, 8), default=WorkRisk.NORMAL)
    planned_on: Mapped[date] = mapped_column(Date)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    site_lat: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    site_lon: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    # The planned route: [[lon, lat], ...] in WGS 84, ending at the site (FLD-6).
    route: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), default=None)
    # FLD-3 "two preparations, two reports"
    reported_ahead_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    position_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    stop_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkOrderOrigin(Base):
    """Why another workflow opened an order: a disconnection notice (disconnect, and
    reconnect once paid) or a 业扩 application (install). Unique per source, kind and slot
    (the meter, or the caller's position for a site without one), so a workflow delivered
    twice (the relay delivers at least once) opens its orders once."""

    __tablename__ = "work_order_origins"
    __table_args__ = (UniqueConstraint("source_type", "source_ref", "kind", "slot"),)

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)
    source_type: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[WorkOrderKind] = mapped_column(str_enum(WorkOrderKind, 16))
    slot: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
