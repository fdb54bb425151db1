"""Outbox: events stored with the change that caused them, until the relay has handed each
to every subscriber and webhook that wants it (ADR 0016)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform.db import RECORDS_CHANGES, Base, UTCDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The relay's claim (oldest not yet fanned out) and the backlog (oldest not yet
        # published) read only the few rows still waiting, however long the retention.
        Index(
            "ix_outbox_messages_unrelayed",
            "id",
            sqlite_where=text("relayed_at IS NULL"),
            postgresql_where=text("relayed_at IS NULL"),
        ),
        Index(
            "ix_outbox_messages_unpublished",
            "created_at",
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
        {"info": {RECORDS_CHANGES: True}},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the relay has created this event's deliveries (one per subscriber/webhook
    # that wants it); published_at once every one of them is delivered (or dropped).
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
