"""One alert per changed key field of one object, shown in the console until a data
security officer or a manager of the unit acknowledges it (AUD-3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime


class Alert(OrgScoped, Base):
    """``org_unit_id`` is the changed object's unit (the root unit for utility-wide objects
    such as tariffs), so the alert is visible exactly where the object is. ``before`` and
    ``after`` are masked by the columns' declared sensitivity (DATA-3)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    key_field: Mapped[str] = mapped_column(String(32), index=True)  # e.g. meter_multiplier
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    object_label: Mapped[str | None] = mapped_column(String(64), default=None)
    fields: Mapped[str] = mapped_column(String(200))  # the changed columns
    before: Mapped[str | None] = mapped_column(String(500), default=None)
    after: Mapped[str | None] = mapped_column(String(500), default=None)
    changed_by: Mapped[str] = mapped_column(String(64))
    # The audit entry of the change itself (same transaction), when the change was audited.
    audit_seq: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=None
    )
    channel: Mapped[str] = mapped_column(String(8))
    # Usernames of the managers told, and how many SMS were queued (managers with a mobile).
    recipients: Mapped[str] = mapped_column(String(500))
    notified: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), default=None)
