"""Tables of the counter (PAY-1) and of the daily cash (PAY-2).

Receipts, drawer settlements, deposits and overdue flags belong to the hall
(``org_unit_id`` is the hall's unit), so the row scope (ORG-2) shows a hall's cash to its
county, city and province and to no other hall. The receipt counter is not scoped: it is
only ever touched by one atomic UPDATE … RETURNING in the payment's transaction.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money
from safegrid.security.models import BigId


class CounterMethod(enum.StrEnum):
    CASH = "cash"
    CARD = "card"


class ReceiptStatus(enum.StrEnum):
    RECORDED = "recorded"  # signed by the cashier, waiting for the checker
    CONFIRMED = "confirmed"  # the checker counted the cash and signed too
    VOID_REQUESTED = "void_requested"  # one of the two asked; the other must co-sign
    VOIDED = "voided"  # both signed the void; the ledger undid the payment


class ReceiptCounter(Base):
    """The last serial issued per hall and business day. Incremented in the payment's own
    transaction, so a payment that rolls back takes its number with it: no gaps."""

    __tablename__ = "receipt_counters"
    __table_args__ = (UniqueConstraint("hall_id", "business_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    business_day: Mapped[date] = mapped_column(Date)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class CounterReceipt(OrgScoped, Base):
    """收款凭证: one counter payment, signed by its cashier and (later) its checker."""

    __tablename__ = "counter_receipts"
    __table_args__ = (UniqueConstraint("org_unit_id", "business_day", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(64), unique=True)
    business_day: Mapped[date] = mapped_column(Date, index=True)
    serial: Mapped[int] = mapped_column(Integer)
    # The form's one-time key: a double-submitted form gets the first receipt back.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    account_no: Mapped[str] = mapped_column(String(20))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), default=None)
    amount: Mapped[Decimal] = mapped_column(Money)
    applied: Mapped[Decimal] = mapped_column(Money)
    credited: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[CounterMethod] = mapped_column(str_enum(CounterMethod, 8))
    # Card payments: the POS slip's reference, which is their bank voucher.
    card_voucher: Mapped[str | None] = mapped_column(String(64), default=None)
    # Cash handed over (实收); the receipt prints the change (找零) = tendered − amount.
    tendered: Mapped[Decimal | None] = mapped_column(Money, nullable=True, default=None)
    status: Mapped[ReceiptStatus] = mapped_column(str_enum(ReceiptStatus, 16), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    cashier_name: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)
    checker_name: Mapped[str | None] = mapped_column(String(64), default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    void_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    void_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), default=None
    )
    void_requested_by: Mapped[str | None] = mapped_column(String(64), default=None)
    void_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    void_cosigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), default=None
    )
    void_cosigned_by: Mapped[str | None] = mapped_column(String(64), default=None)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("drawer_settlements.id"), default=None, index=True
    )


class DrawerSettlement(OrgScoped, Base):
    """日结: one cashier's drawer at the end of a business day — expected from the
    receipts, counted by hand, the difference kept; then sealed into the safe."""

    __tablename__ = "drawer_settlements"
    __table_args__ = (UniqueConstraint("org_unit_id", "business_day", "cashier_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    cashier_name: Mapped[str] = mapped_column(String(64))
    receipt_count: Mapped[int] = mapped_column(Integer)
    expected_cash: Mapped[Decimal] = mapped_column(Money)
    expected_card: Mapped[Decimal] = mapped_column(Money)
    counted_cash: Mapped[Decimal] = mapped_column(Money)
    difference: Mapped[Decimal] = mapped_column(Money)  # counted − expected
    counted_by: Mapped[str] = mapped_column(String(64))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200), default=None)
    safe_bag_no: Mapped[str | None] = mapped_column(String(32), default=None)
    safe_by: Mapped[str | None] = mapped_column(String(64), default=None)
    safe_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deposit_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_deposits.id"), default=None, index=True
    )


class BankDeposit(OrgScoped, Base):
    """解款: a hall's cash of one business day paid in at the bank by two named people."""

    __tablename__ = "bank_deposits"
    __table_args__ = (UniqueConstraint("org_unit_id", "business_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    bank_voucher: Mapped[str] = mapped_column(String(64), unique=True)
    depositor_a_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    depositor_a_name: Mapped[str] = mapped_column(String(64))
    depositor_b_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    depositor_b_name: Mapped[str] = mapped_column(String(64))
    deposited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_id: Mapped[int | None] = mapped_column(Integer, default=None)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    slip_path: Mapped[str | None] = mapped_column(String(255), default=None)
    slip_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    slip_media_type: Mapped[str | None] = mapped_column(String(32), default=None)
    slip_bytes: Mapped[int | None] = mapped_column(Integer, default=None)
    slip_uploaded_by: Mapped[str | None] = mapped_column(String(64), default=None)
    slip_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DepositOverdue(OrgScoped, Base):
    """A hall-day whose cash was not at the bank by the deadline, flagged once by the job."""

    __tablename__ = "deposit_overdue_flags"
    __table_args__ = (UniqueConstraint("org_unit_id", "business_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alert_id: Mapped[int] = mapped_column(Integer)
