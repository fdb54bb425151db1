"""Risk engine tables (PAY-4, PAY-5).

- ``risk_rule_sets`` / ``risk_rules``: the rules as data, one version per change, never
  edited in place; the highest version is the active one (so there is always exactly one).
- ``risk_events``: the append-only history the engine counts and the source of truth for
  every process's in-memory windows: each evaluated request (a decision, with the rules
  that fired and their inputs), each captured online payment (``paid``), each change of an
  account's suspension and each rule-set change. Processes tail it by id.
- ``risk_cases``: work orders for manual review (open → lifted / confirmed / extended).
- ``risk_challenges``: step-up OTPs sent to the account holder's phone (hashes only).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.platform.money import Money
from safegrid.security.models import BigId


class RuleKind(enum.StrEnum):
    DEVICE_VELOCITY = "device_velocity"  # payment requests from one device in the window
    IP_VELOCITY = "ip_velocity"  # payment requests from one IP in the window
    ACCOUNT_VELOCITY = "account_velocity"  # payment requests for one account in the window
    TEST_PAYMENTS = "test_payments"  # captured payments ≤ amount (0.01 yuan) of one account
    PAY_THEN_REFUND = "pay_then_refund"  # a refund within the window after a payment


class RuleAction(enum.StrEnum):
    STEP_UP = "step_up"  # OTP to the account holder's phone before the channel
    FREEZE = "freeze"  # refuse; online functions suspended for the rule's minutes
    REVIEW = "review"  # risk case for manual review + suspension (48 h by default)


class EventKind(enum.StrEnum):
    PAYMENT = "payment"  # an evaluated payment request (a decision)
    REFUND = "refund"  # an evaluated refund request (a decision)
    PAID = "paid"  # a captured online payment (note_paid)
    SUSPENDED = "suspended"  # online functions suspended until ``until`` (source: key)
    LIFTED = "lifted"  # the suspension of ``source`` ended early
    RULES = "rules"  # a new rule-set version became active


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    EXTENDED = "extended"  # still under review, suspension extended
    LIFTED = "lifted"  # cleared: suspension ended
    CONFIRMED = "confirmed"  # fraud confirmed: suspension runs its course


class RiskRuleSet(Base):
    __tablename__ = "risk_rule_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200))


class RiskRule(Base):
    __tablename__ = "risk_rules"
    __table_args__ = (UniqueConstraint("rule_set_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("risk_rule_sets.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # stable id across versions, e.g. PAY4-DEVICE
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind, 24))
    threshold: Mapped[int] = mapped_column(Integer)
    window_minutes: Mapped[int] = mapped_column(Integer)
    action: Mapped[RuleAction] = mapped_column(str_enum(RuleAction, 16))
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    suspend_minutes: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(default=True)


class RiskEvent(OrgScoped, Base):
    __tablename__ = "risk_events"
    __table_args__ = (
        Index("ix_risk_events_device_at", "device_id", "at"),
        Index("ix_risk_events_ip_at", "ip", "at"),
        Index("ix_risk_events_account_at", "account_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 16))
    account_id: Mapped[int | None] = mapped_column(Integer, default=None)
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    device_id: Mapped[str | None] = mapped_column(String(128), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Decisions: the action, the rules that fired with their inputs, the rule-set version.
    action: Mapped[str | None] = mapped_column(String(16), default=None)
    fired: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    rule_set_version: Mapped[int | None] = mapped_column(Integer, default=None)
    # Paid: the ledger's payment (unique, so a replayed callback is noted once).
    payment_id: Mapped[int | None] = mapped_column(Integer, unique=True, default=None)
    # Suspensions: until when, and which case/decision they belong to (``source``).
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    source: Mapped[str | None] = mapped_column(String(32), default=None)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    recorded_by: Mapped[str] = mapped_column(String(64))


class RiskCase(OrgScoped, Base):
    """A risk work order (PAY-5). ``org_unit_id`` is the account's unit."""

    __tablename__ = "risk_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("risk_events.id"))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, 16), index=True)
    rules: Mapped[str] = mapped_column(String(200))  # codes of the rules that fired
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_by: Mapped[str] = mapped_column(String(64))  # who caused it (may not decide it)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_id: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)


class RiskChallenge(OrgScoped, Base):
    """A step-up OTP (PAY-4): only hashes of the challenge token and the code are kept."""

    __tablename__ = "risk_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    code_hash: Mapped[str] = mapped_column(String(64), info={"secret": True})
    decision_id: Mapped[int] = mapped_column(ForeignKey("risk_events.id"), index=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    sent_to: Mapped[str] = mapped_column(String(20))  # masked phone, to show the customer
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
