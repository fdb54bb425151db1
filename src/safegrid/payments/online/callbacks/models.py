"""The durable callback inbox (PAY-6, PAY-7; ADR 0013).

A channel callback whose signature, order and amount check out is committed here — one
row per trade, unique by trade number and by order — and only then acknowledged with
``success``. The ledger applies the rows afterwards, in large batches
(:mod:`safegrid.payments.online.callbacks.applier`). The row keeps the callback exactly as the
channel signed it, so the payment stays provable whatever happens after the ack.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money
from safegrid.security.models import BigId


class InboxState(enum.StrEnum):
    PENDING = "pending"  # acknowledged to the channel, not yet in the ledger
    APPLIED = "applied"  # captured (or found already captured): the order is paid
    # Acknowledged but refused when applied (e.g. the order was closed in between): the
    # money arrived and could not be matched automatically — finance takes it from here.
    REFUSED = "refused"


class CallbackInbox(OrgScoped, Base):
    __tablename__ = "payment_callback_inbox"
    # The applier claims pending rows oldest first.
    __table_args__ = (Index("ix_payment_callback_inbox_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(24))
    # One trade is taken once (a repeat of the callback finds its row) ...
    trade_no: Mapped[str] = mapped_column(String(64), unique=True)
    # ... and one order is paid by one trade (another trade for it is refused at the door).
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    # The callback's fields as the channel signed them (signature included), JSON.
    signed: Mapped[str] = mapped_column(Text)
    caller_ip: Mapped[str | None] = mapped_column(String(45), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[InboxState] = mapped_column(str_enum(InboxState, 16))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Attempts that failed unexpectedly; after MAX_ATTEMPTS the row waits for a person.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(500), default=None)
