"""Account lifecycle tables (IAM-3..6, IAM-8): known login locations and their challenges,
training records, departure notices, permission-change requests and idle-account reviews."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.security.models import BigId
from safegrid.security.policy import Post


class KnownLocation(Base):
    """A network an account has signed in from (IPv4 /24, IPv6 /64), after a second
    verification or as the account's first-ever login location (IAM-3)."""

    __tablename__ = "known_locations"
    __table_args__ = (UniqueConstraint("account_id", "network"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    network: Mapped[str] = mapped_column(String(64))
    user_agent_family: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginChallenge(Base):
    """A login that passed password + TOTP from a new location, waiting for the SMS code.
    Only hashes of the challenge token and the code are kept."""

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    code_hash: Mapped[str] = mapped_column(String(64), info={"secret": True})
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # session kind to issue: console | api
    network: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    session_hours: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TrainingRecord(Base):
    """Security training of one account (IAM-8): cumulative class hours, the exam, and the
    signed security commitment. Activation checks all three."""

    __tablename__ = "training_records"

    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), primary_key=True)
    class_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("0"))
    exam_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    commitment_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class DepartureNotice(OrgScoped, Base):
    """An HR departure notice (IAM-5). ``org_unit_id`` is the departing account's unit."""

    __tablename__ = "departure_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    sessions_revoked: Mapped[int] = mapped_column(Integer, default=0)


class ChangeStatus(enum.StrEnum):
    PENDING_LEADER = "pending_leader"
    PENDING_HEAD = "pending_head"
    APPROVED = "approved"  # waiting for a system administrator to execute it
    EXECUTED = "executed"
    REJECTED = "rejected"


class PermissionChangeRequest(OrgScoped, Base):
    """Three-level permission change (IAM-4). Permissions follow the post (one policy), so a
    change requests a new post. ``org_unit_id`` is the target account's unit."""

    __tablename__ = "permission_change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    current_post: Mapped[Post] = mapped_column(str_enum(Post, 32))
    requested_post: Mapped[Post] = mapped_column(str_enum(Post, 32))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ChangeStatus] = mapped_column(str_enum(ChangeStatus, 16), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leader_id: Mapped[int | None] = mapped_column(Integer, default=None)
    leader_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    head_id: Mapped[int | None] = mapped_column(Integer, default=None)
    head_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    executor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    rejected_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    rejection_note: Mapped[str | None] = mapped_column(String(500), default=None)


class ReviewStatus(enum.StrEnum):
    LISTED = "listed"
    DISABLED = "disabled"
    KEPT = "kept"


class IdleReview(OrgScoped, Base):
    """One account found idle > 30 days by a monthly run (IAM-6), until an admin decides."""

    __tablename__ = "idle_reviews"
    __table_args__ = (UniqueConstraint("account_id", "run_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    run_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, so a rerun adds nothing
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ReviewStatus] = mapped_column(str_enum(ReviewStatus, 16), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
