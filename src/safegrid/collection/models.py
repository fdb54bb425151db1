"""Collection ledger (BILL-5) and arrears (BILL-6), keyed on bill id.

Balances are never stored: a bill's outstanding amount is computed from its write-offs and
late-fee accruals every time it is read, so monitoring is live as payments arrive.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
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
from safegrid.platform.money import Money

BigId = BigInteger().with_variant(Integer, "sqlite")


class WriteOffKind(enum.StrEnum):
    PAYMENT = "payment"  # cash or a payment channel: counts as collected
    ADJUSTMENT = "adjustment"  # waiver / correction approved by finance: no cash
    REVERSAL = "reversal"  # a reversal bill cancelling its original
    # Takes back (part of) an earlier payment write-off when the payment is voided or
    # refunded: counted negative in every balance (see balances.written_per_bill).
    UNWIND = "unwind"


class CollectionPosting(OrgScoped, Base):
    """One idempotent call of the write-off service. ``reference`` (e.g. the payment id) is
    the idempotency key: a repeated call finds this row and returns its result unchanged,
    even when the first call applied nothing or spread the amount over several bills."""

    __tablename__ = "collection_postings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[WriteOffKind] = mapped_column(str_enum(WriteOffKind, 16))
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    requested: Mapped[Decimal] = mapped_column(Money)
    applied: Mapped[Decimal] = mapped_column(Money)
    remainder: Mapped[Decimal] = mapped_column(Money)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by: Mapped[str] = mapped_column(String(64))


class WriteOff(OrgScoped, Base):
    """销账: part of a bill settled. ``late_fee_part`` of ``amount`` went to late fees."""

    __tablename__ = "write_offs"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("late_fee_part >= 0 AND late_fee_part <= amount", name="late_fee_part"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("collection_postings.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    # Unique per write-off: the posting's reference, suffixed with the bill when one posting
    # is spread over several bills.
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[WriteOffKind] = mapped_column(str_enum(WriteOffKind, 16))
    amount: Mapped[Decimal] = mapped_column(Money)
    late_fee_part: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    written_by: Mapped[str] = mapped_column(String(64))
    # For an UNWIND row: the payment write-off it takes back (append-only, never edited).
    unwinds_id: Mapped[int | None] = mapped_column(
        ForeignKey("write_offs.id"), default=None, index=True
    )


class LateFeeRate(Base):
    """违约金 rate per day by tariff category, versioned by effective date (configuration).
    With no row for a category the settings' default applies."""

    __tablename__ = "late_fee_rates"
    __table_args__ = (UniqueConstraint("tariff_category", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tariff_category: Mapped[str] = mapped_column(String(32))
    rate_per_day: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    effective_from: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))


class LateFeeAccrual(OrgScoped, Base):
    """One day's late fee on one bill. Unique per bill and day, so the daily job is
    idempotent. Stored exactly in 1e-8 yuan (principal fen × rate in millionths); a bill's
    late fee is the sum rounded once to the fen, half-up."""

    __tablename__ = "late_fee_accruals"
    __table_args__ = (UniqueConstraint("bill_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    rate_e6: Mapped[int] = mapped_column(Integer)
    fee_e8: Mapped[int] = mapped_column(BigInteger)


class Reminder(OrgScoped, Base):
    """A payment reminder sent at ``stage`` days after the due date (once per bill and stage)."""

    __tablename__ = "collection_reminders"
    __table_args__ = (UniqueConstraint("bill_id", "stage"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[date] = mapped_column(Date)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id"), default=None
    )


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class InstalmentPlan(OrgScoped, Base):
    """分次结算: the outstanding amount of some bills of one account split into instalments.
    Write-offs on those bills beyond ``base_written`` cover the instalments in order."""

    __tablename__ = "instalment_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, 16))
    total: Mapped[Decimal] = mapped_column(Money)
    # Principal already written off on the covered bills when the plan was made.
    base_written: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200), default=None)


class InstalmentPlanBill(Base):
    __tablename__ = "instalment_plan_bills"
    __table_args__ = (UniqueConstraint("plan_id", "bill_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("instalment_plans.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)


class Instalment(Base):
    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("plan_id", "seq"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("instalment_plans.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)


class NoticeStatus(enum.StrEnum):
    PENDING = "pending"  # created, waiting for a department head
    APPROVED = "approved"  # served: the notice period runs
    REJECTED = "rejected"
    EXECUTED = "executed"  # supply disconnected
    CANCELLED = "cancelled"  # arrears paid in full (or withdrawn)


OPEN_NOTICE = (NoticeStatus.PENDING, NoticeStatus.APPROVED)


class DisconnectionNotice(OrgScoped, Base):
    """停电通知: created by collection staff, approved by a department head who is not the
    creator, executable only after the statutory notice period and while still in arrears."""

    __tablename__ = "disconnection_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus, 16), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    arrears_at_creation: Mapped[Decimal] = mapped_column(Money)
    notice_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)
    created_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decision_note: Mapped[str | None] = mapped_column(String(200), default=None)
    served_on: Mapped[date | None] = mapped_column(Date, default=None)
    earliest_disconnect_on: Mapped[date | None] = mapped_column(Date, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class SupplyStatus(enum.StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class SupplyState(OrgScoped, Base):
    """Supply of an account cut for arrears. No row means connected."""

    __tablename__ = "supply_states"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    status: Mapped[SupplyStatus] = mapped_column(str_enum(SupplyStatus, 16))
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("disconnection_notices.id"), default=None
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(64))
