"""Webhook subscriptions and per-target deliveries of outbox events (ADR 0016).

Both are platform-wide, not org-scoped: a webhook receives the events of the whole utility,
so only the system administrator manages them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform.db import Base, UTCDateTime, str_enum


class EventWebhook(Base):
    __tablename__ = "event_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    # Comma-separated event names, prefixes ending in ``*``, or ``*`` (events.parse_patterns).
    events: Mapped[str] = mapped_column(String(500))
    # The HMAC-SHA256 key of the signature header; read back to sign, so encrypted (DATA-2).
    secret: Mapped[str] = mapped_column(String(64), info={"secret": True, "encrypted": True})
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    disabled_by: Mapped[str | None] = mapped_column(String(64), default=None)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at (also the claim's lease while delivering)
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the maximum attempts: a person looks, then re-queues
    DROPPED = "dropped"  # its webhook was disabled: nobody wants it any more


SETTLED = (DeliveryState.DELIVERED, DeliveryState.DROPPED)


class EventDelivery(Base):
    """One event for one target (``subscriber:<name>`` or ``webhook:<id>``); unique, so a
    target can never be given the same event twice by two relays fanning out."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "target"),
        Index(
            "ix_event_deliveries_due",
            "next_attempt_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("outbox_messages.id", ondelete="CASCADE"),
        index=True,
    )
    target: Mapped[str] = mapped_column(String(120))
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_webhooks.id"), default=None, index=True
    )
    state: Mapped[DeliveryState] = mapped_column(str_enum(DeliveryState, 16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
