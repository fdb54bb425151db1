"""Reconciliation tables (REC-1..3).

A bank account belongs to the unit that owns its money; statements and their entries are
stored under it. A statement is stored once: by (account, statement id/sequence) and by
the SHA-256 of its content, both unique constraints. Match items are what the matcher
concluded for a month (one row per matched group or unmatched side, with its colour and
the reason); a human decision on an item lives on the item and survives re-runs. A red
item opens a case.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money
from safegrid.security.models import BigId


class BankAccount(OrgScoped, Base):
    __tablename__ = "recon_bank_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_no: Mapped[str] = mapped_column(String(40), unique=True)
    bank_name: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class BankStatement(OrgScoped, Base):
    __tablename__ = "recon_statements"
    __table_args__ = (
        UniqueConstraint("bank_account_id", "statement_ref", name="uq_recon_statements_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("recon_bank_accounts.id"))
    statement_ref: Mapped[str] = mapped_column(String(120))
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    opening_balance: Mapped[Decimal] = mapped_column(Money)
    closing_balance: Mapped[Decimal] = mapped_column(Money)
    entry_count: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[date | None] = mapped_column(Date, default=None)
    last_day: Mapped[date | None] = mapped_column(Date, default=None)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(64))


class StatementEntry(OrgScoped, Base):
    __tablename__ = "recon_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("recon_statements.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("recon_bank_accounts.id"))
    position: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)  # signed: debits negative
    currency: Mapped[str] = mapped_column(String(3))
    booking_date: Mapped[date | None] = mapped_column(Date, default=None)
    value_date: Mapped[date] = mapped_column(Date, index=True)
    # The reference the matcher keys on (end-to-end id, bank voucher, channel batch…).
    reference: Mapped[str | None] = mapped_column(String(140), default=None, index=True)
    references_json: Mapped[str] = mapped_column(Text)


class Colour(enum.StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Decision(enum.StrEnum):
    ACCEPTED = "accepted"  # a yellow difference accepted with a reason
    TURNED_RED = "turned_red"  # a yellow difference sent to investigation


class MatchItem(OrgScoped, Base):
    """One conclusion of the matcher for a month: a system group and/or a bank entry.
    ``item_key`` names the pair so a re-run finds the same row (unique per period)."""

    __tablename__ = "recon_items"
    __table_args__ = (
        UniqueConstraint("period", "item_key", name="uq_recon_items_key"),
        # A bank entry is the right side of at most one conclusion.
        UniqueConstraint("period", "bank_entry_id", name="uq_recon_items_bank_entry"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Looked up by (period, item_key) and (period, bank_entry_id): both unique indexes.
    period: Mapped[str] = mapped_column(String(7))
    item_key: Mapped[str] = mapped_column(String(160))
    colour: Mapped[Colour] = mapped_column(str_enum(Colour, 8))
    rule: Mapped[str] = mapped_column(String(32))
    system_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    system_ref: Mapped[str | None] = mapped_column(String(140), default=None)
    system_amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    system_count: Mapped[int] = mapped_column(Integer, default=0)
    bank_entry_id: Mapped[int | None] = mapped_column(BigId, default=None)
    bank_amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    difference: Mapped[Decimal] = mapped_column(Money)  # bank − system
    day: Mapped[date | None] = mapped_column(Date, default=None)
    reason: Mapped[str] = mapped_column(String(400))
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision, 16), default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(400), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # cause recorded, waiting for the second person
    CLOSED = "closed"


class CaseCause(enum.StrEnum):
    TECHNICAL = "technical"  # an interface fault: a fix ticket
    HUMAN = "human"  # a person: who, and the payment/deposit that made up the shortfall


class ReconCase(OrgScoped, Base):
    __tablename__ = "recon_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("recon_items.id"), unique=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, 16), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)
    cause: Mapped[CaseCause | None] = mapped_column(str_enum(CaseCause, 16), default=None)
    cause_detail: Mapped[str | None] = mapped_column(String(400), default=None)
    ticket: Mapped[str | None] = mapped_column(String(64), default=None)
    responsible: Mapped[str | None] = mapped_column(String(64), default=None)
    made_up_by_payment_id: Mapped[int | None] = mapped_column(BigId, default=None)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    evidence_path: Mapped[str | None] = mapped_column(String(255), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(64), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class MonthlyReport(Base):
    """REC-4: the month's report, generated as Excel and PDF, signed off by the leader in
    charge; once signed its files never change (their SHA-256 is kept and checked)."""

    __tablename__ = "recon_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)
    xlsx_path: Mapped[str] = mapped_column(String(255))
    pdf_path: Mapped[str] = mapped_column(String(255))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str] = mapped_column(String(64))
    signed_by_name: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retain_until: Mapped[date] = mapped_column(Date, index=True)


class ChannelSettlement(Base):
    """REC-5: a channel's signed daily settlement file, verified and stored once per channel
    and day (its lines in :class:`SettlementLine`)."""

    __tablename__ = "recon_channel_settlements"
    __table_args__ = (UniqueConstraint("channel", "settle_date", name="uq_recon_settlements_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(24))
    settle_date: Mapped[date] = mapped_column(Date)
    merchant_id: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    gross: Mapped[Decimal] = mapped_column(Money)
    fee: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
    content_sha256: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SettlementLine(Base):
    __tablename__ = "recon_settlement_lines"
    __table_args__ = (
        UniqueConstraint("channel", "trade_no", name="uq_recon_settlement_lines_trade"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("recon_channel_settlements.id"), index=True
    )
    channel: Mapped[str] = mapped_column(String(24))
    trade_no: Mapped[str] = mapped_column(String(64))
    merchant_order_no: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    fee: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
