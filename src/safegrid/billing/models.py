"""Bills, their lines and the runs that issue them (BILL-4).

An issued bill is never edited: a correction is a reversal bill (negative amount, pointing
at the original) plus, where needed, a new bill. Collection state (payments, write-offs,
instalments) lives in ``safegrid.collection``, keyed by bill id.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money

BigId = BigInteger().with_variant(Integer, "sqlite")


class BillKind(enum.StrEnum):
    NORMAL = "normal"
    REVERSAL = "reversal"


class BillStatus(enum.StrEnum):
    ISSUED = "issued"
    REVERSED = "reversed"  # an issued bill cancelled by a reversal bill


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BillRun(OrgScoped, Base):
    """One bill run over the accounts of a period in the scope of ``org_unit_id``."""

    __tablename__ = "bill_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, 16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_by: Mapped[str] = mapped_column(String(64))
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    bills_created: Mapped[int] = mapped_column(Integer, default=0)
    total_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    # Accounts of the period that already had an issued bill: what makes a re-run idempotent.
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)


class Bill(OrgScoped, Base):
    __tablename__ = "bills"
    # One normal bill per account and period: re-running a period is idempotent.
    __table_args__ = (
        UniqueConstraint("account_id", "period", "kind", "sequence"),
        Index("ix_bills_collection_open_due", "collection_open", "due_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    # No index of its own: the unique constraint below leads with account_id.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[BillKind] = mapped_column(str_enum(BillKind, 16))
    # 0 for the first normal bill of a period; a re-issue after a reversal takes the next.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    reverses_bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), default=None)
    status: Mapped[BillStatus] = mapped_column(
        str_enum(BillStatus, 16), info={"key_field": "payment_status"}
    )
    kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(Money)
    # kWh billed earlier in the tier year (or month) when this bill was priced: with the
    # lines, what explains why its kWh fell into tier 2 or 3. NULL for untiered tariffs.
    tier_prior_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    # No index: only "was this version ever used" asks by it, and bulk inserts pay per index.
    tariff_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("tariff_versions.id"), default=None
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), default=None, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    # Why a reversal bill was issued (the original's status says it was reversed).
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    # Something is still owed on it (principal or late fee): set on issue, kept by
    # collection's write-off writers (collection.balances.refresh_open) so the arrears list
    # reads the open bills instead of summing every write-off ever written (issue 13).
    # Only a write-off can settle a bill, so a writer that forgot would leave it open: slower,
    # never wrong; an unwind must reopen it.
    collection_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class BillLine(Base):
    """One line of a bill's explanation: which tier / time band, how many kWh, at what price."""

    __tablename__ = "bill_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # safegrid.tariffs.terms.LineKind
    description: Mapped[str] = mapped_column(String(120))
    kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    # kWh (2 places) × price (4 places), exact: the bill rounds the sum once.
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 6))


class BillRunProgress(OrgScoped, Base):
    """How far a console-started bill run has got, for the progress poll of any server
    process. Committed in its own short transactions beside the run, which itself stays one
    invisible transaction until it commits; ``run_id`` names the ``BillRun`` once it has."""

    __tablename__ = "bill_run_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    started_by: Mapped[str] = mapped_column(String(64), index=True)
    phase: Mapped[str] = mapped_column(String(16))  # load / compute / write
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), default=None)
    bills_created: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)


class BillAdjustment(OrgScoped, Base):
    """One re-priced month of a correction (退补, BILL-7): the bill it reversed, the bill that
    replaced it, and the difference, which the account's next bill shows line by line."""

    __tablename__ = "bill_adjustments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    # Unique: a bill is re-priced (reversed) at most once, whoever asks twice.
    original_bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), unique=True)
    reversal_bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"))
    new_bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"))
    # The account's first bill of a later period issued after the correction; NULL until
    # the next bill run bills the account.
    next_bill_id: Mapped[int | None] = mapped_column(
        ForeignKey("bills.id"), default=None, index=True
    )
    original_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    repriced_kwh: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    original_amount: Mapped[Decimal] = mapped_column(Money)
    repriced_amount: Mapped[Decimal] = mapped_column(Money)
    difference: Mapped[Decimal] = mapped_column(Money)  # re-priced − original
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
