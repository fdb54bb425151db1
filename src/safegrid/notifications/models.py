"""The notification outbox: every message any domain sends is a row here first."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum


class NotificationStatus(enum.StrEnum):
    QUEUED = "queued"  # in the outbox; shown in the console; sent by a dispatcher if one is set
    SENT = "sent"
    FAILED = "failed"


class Notification(OrgScoped, Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms / email / webhook
    # A mobile number for SMS: sensitive (DATA-1), masked whenever shown or audited.
    recipient: Mapped[str] = mapped_column(String(128), info={"sensitive": "phone"})
    topic: Mapped[str] = mapped_column(String(48), index=True)  # e.g. arrears.reminder
    subject_type: Mapped[str | None] = mapped_column(String(32), default=None)
    subject_id: Mapped[str | None] = mapped_column(String(32), default=None)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(str_enum(NotificationStatus, 16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by: Mapped[str] = mapped_column(String(64))
