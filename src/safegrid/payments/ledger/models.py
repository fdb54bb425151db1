"""The payment ledger (PAY-7): payments, their append-only events, account credit.

A payment is captured once per idempotency key (a unique constraint, so a repeated
callback or a retried request can never create a second one). What happened to its money
is told by :class:`PaymentEvent` rows, which are never updated or deleted; the columns
on :class:`Payment` (status, applied, credited, refunded) are the running state those
events add up to. Money that found no open bill is kept as :class:`AccountCredit`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money
from safegrid.security.models import BigId


class PaymentChannel(enum.StrEnum):
    COUNTER_CASH = "counter_cash"
    COUNTER_CARD = "counter_card"
    ONLINE_SANDBOX = "online_sandbox"
    ONLINE_WECHAT = "online_wechat"
    # 银行代扣: the bank's direct-debit return file, applied in bulk (and the demo's history).
    BANK_DIRECT_DEBIT = "bank_direct_debit"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    REFUNDED = "refunded"  # fully refunded (a partial refund keeps it captured)
    REVERSED = "reversed"  # taken back by the channel
    VOIDED = "voided"  # cancelled at the counter by cashier and checker


class PaymentEventKind(enum.StrEnum):
    CAPTURED = "captured"
    REFUNDED = "refunded"
    REVERSED = "reversed"
    VOIDED = "voided"


class Payment(OrgScoped, Base):
    """One payment by a customer. ``org_unit_id`` is the account's unit (row scope);
    ``hall_id`` the hall that took it at a counter."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("applied >= 0 AND credited >= 0 AND refunded >= 0", name="parts"),
        # In whole fen: SQLite keeps NUMERIC as floating point.
        CheckConstraint(
            "round((applied + credited + refunded) * 100) = round(amount * 100)", name="adds_up"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), default=None)
    channel: Mapped[PaymentChannel] = mapped_column(str_enum(PaymentChannel, 24), index=True)
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, 16), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    # What of ``amount`` is now written off bills, held as credit, and given back.
    applied: Mapped[Decimal] = mapped_column(Money)
    credited: Mapped[Decimal] = mapped_column(Money)
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    receipt_no: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), default=None)
    cashier: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # An online order is paid at most once, whatever keys its callbacks carry.
    order_id: Mapped[int | None] = mapped_column(Integer, default=None, unique=True)
    bank_voucher: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    captured_by: Mapped[str] = mapped_column(String(64))
    # The write-off (销账) posting of this payment in collection: ``payment:<id>``.
    posting_reference: Mapped[str | None] = mapped_column(String(64), default=None)


class PaymentEvent(OrgScoped, Base):
    """What happened to a payment's money, append-only. ``amount`` moved in the event;
    ``applied`` and ``credited`` are the parts of it written off bills / held as credit
    (for a refund or void: the parts taken back). ``reference`` is the event's
    idempotency key (``capture:…``, ``refund:…``, ``void:…``)."""

    __tablename__ = "payment_events"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("applied >= 0 AND credited >= 0", name="parts"),
        CheckConstraint("round((applied + credited) * 100) = round(amount * 100)", name="adds_up"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[PaymentEventKind] = mapped_column(str_enum(PaymentEventKind, 16))
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    applied: Mapped[Decimal] = mapped_column(Money)
    credited: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    by: Mapped[str] = mapped_column(String(64))


class AccountCredit(OrgScoped, Base):
    """预存 / overpayment held for an account, changed only by atomic SQL updates
    (``balance = balance + :x``) under the account's row lock."""

    __tablename__ = "account_credits"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    balance: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for finance or a department head
    HELD = "held"  # the risk engine asked for review: waits for its case to be lifted
    EXECUTED = "executed"  # approved and given back through the ledger
    REJECTED = "rejected"


class RefundRequest(OrgScoped, Base):
    """退款申请: asked for by a cashier, hall agent or finance, approved by finance or a
    department head who is not the requester. The risk engine sees every request (PAY-5:
    a refund right after a payment opens a case and holds it)."""

    __tablename__ = "refund_requests"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, 16), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    requested_by: Mapped[str] = mapped_column(String(64))
    risk_decision_id: Mapped[int | None] = mapped_column(Integer, default=None)
    risk_action: Mapped[str | None] = mapped_column(String(16), default=None)
    risk_case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decision_note: Mapped[str | None] = mapped_column(String(200), default=None)
    # The ledger's refund event (reference ``refund:request-<id>``) once executed.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("payment_events.id"), default=None)


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete a payment event."""


@event.listens_for(PaymentEvent, "before_update")
@event.listens_for(PaymentEvent, "before_delete")
def _append_only(_mapper: Mapper[Any], _conn: Any, target: PaymentEvent) -> None:
    raise AppendOnlyError(f"payment event {target.id} is append-only")
