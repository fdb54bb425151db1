"""Work orders (ORG-1: each belongs to one unit). Deliberately minimal: what IAM-7 needs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum


class WorkOrderKind(enum.StrEnum):
    INSTALL = "install"
    REPLACE = "replace"
    INSPECT = "inspect"
    DISCONNECT = "disconnect"
    RECONNECT = "reconnect"


class WorkOrderStatus(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    DONE = "done"
    CANCELLED = "cancelled"


# Statuses whose meter an assignee may still see; a finished order grants nothing (IAM-7).
LIVE_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)


class WorkOrder(OrgScoped, Base):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[WorkOrderKind] = mapped_column(str_enum(WorkOrderKind, 16))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), index=True, default=None
    )
    status: Mapped[WorkOrderStatus] = mapped_column(str_enum(WorkOrderStatus, 16), index=True)
    planned_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
