"""Detections, security cases, playbooks and their runs (OPS-1, OPS-2)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.secops.detector import Scenario
from safegrid.security.models import BigId


class Detection(OrgScoped, Base):
    """One anomaly of one account on one day. ``org_unit_id`` is the account's unit. The
    unique key makes the hourly job idempotent: a day's finding is recorded once."""

    __tablename__ = "secops_detections"
    __table_args__ = (UniqueConstraint("account_id", "scenario", "window_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    scenario: Mapped[Scenario] = mapped_column(str_enum(Scenario, 24))
    window_day: Mapped[date] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    explanation: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SecurityCase(OrgScoped, Base):
    __tablename__ = "secops_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    detection_id: Mapped[int | None] = mapped_column(
        ForeignKey("secops_detections.id"), default=None
    )
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, 16), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Playbook(Base):
    """A response as data: its steps in order, and the detections that start it by
    themselves (``auto``). Utility-wide, edited only from an administration network."""

    __tablename__ = "secops_playbooks"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    steps: Mapped[list[str]] = mapped_column(JSON)
    trigger_scenarios: Mapped[list[str]] = mapped_column(JSON)
    min_score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class RunStatus(enum.StrEnum):
    DRY_RUN = "dry_run"
    DONE = "done"
    UNDONE = "undone"


class PlaybookRun(OrgScoped, Base):
    """One run of a playbook against one account: what each step did (or would do)."""

    __tablename__ = "secops_playbook_runs"
    __table_args__ = (UniqueConstraint("detection_id", "playbook_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    playbook_code: Mapped[str] = mapped_column(ForeignKey("secops_playbooks.code"))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    detection_id: Mapped[int | None] = mapped_column(
        ForeignKey("secops_detections.id"), default=None
    )
    trigger: Mapped[str] = mapped_column(String(16))  # rule | manual
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, 16))
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    by: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class UnfreezeStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class UnfreezeRequest(OrgScoped, Base):
    """Undoing a freeze takes two people: one asks, another approves (four eyes)."""

    __tablename__ = "secops_unfreeze_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One request per run: a rejected request is asked again on the same row, under its lock.
    run_id: Mapped[int] = mapped_column(ForeignKey("secops_playbook_runs.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[UnfreezeStatus] = mapped_column(str_enum(UnfreezeStatus, 16))
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
