"""Online payment orders (PAY-3, PAY-6): one row per payment a customer starts through an
online channel. The order is what a channel callback is checked against (amount, account);
the money itself is the ledger's :class:`~safegrid.payments.ledger.models.Payment`."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money
from safegrid.security.models import BigId


class OrderStatus(enum.StrEnum):
    CREATED = "created"  # waiting for the customer to pay at the channel
    PAID = "paid"  # a verified callback captured it (exactly once)
    REJECTED = "rejected"  # refused before reaching the channel (risk engine, suspension)
    EXPIRED = "expired"  # not paid in time; no longer counts towards the daily limit


class PaymentOrder(OrgScoped, Base):
    __tablename__ = "payment_orders"
    # The daily-limit sum (PAY-3) reads one account's orders of one business day.
    __table_args__ = (Index("ix_payment_orders_account_day", "account_id", "business_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Our order number, sent to the channel as merchant_order_no.
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), default=None)
    channel: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(Money)
    # Not a key field (AUD-3): every order moves created → paid; what would alert the
    # managers is a tampered callback, raised explicitly (raise_alert "callback_tampered").
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, 16))
    # Beijing business day the order was created on: the day its amount counts against.
    business_day: Mapped[date] = mapped_column(Date)
    device_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    risk_decision_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # True while the risk engine's step-up challenge (an SMS code) is unanswered; the order
    # reaches the channel only once it is cleared.
    step_up_pending: Mapped[bool] = mapped_column(default=False)
    reject_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    # The channel's transaction number, unique: one trade pays one order.
    trade_no: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    # First time a callback for this order carried another amount (PAY-6): alerts once.
    tampered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
