"""Staff accounts, their password history and sessions; the audit chain (IAM-1..3, AUD-1..2)."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import RECORDS_CHANGES, Base, UTCDateTime, str_enum
from safegrid.security.policy import Post

BigId = BigInteger().with_variant(Integer, "sqlite")


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    DISABLED = "disabled"
    # Opened but not yet allowed to sign in: security training first (IAM-8).
    PENDING_ACTIVATION = "pending"


class StaffAccount(OrgScoped, Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    real_name: Mapped[str] = mapped_column(String(64))
    post: Mapped[Post] = mapped_column(str_enum(Post, 32), info={"key_field": "permissions"})
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, 16), default=AccountStatus.ACTIVE
    )
    password_hash: Mapped[str] = mapped_column(String(255), info={"secret": True})
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # Stored in clear until field encryption lands (issue: data protection, DATA-2).
    # A second-factor seed must be read back, so it is encrypted, not hashed (DATA-2).
    totp_secret: Mapped[str | None] = mapped_column(
        String(64), default=None, info={"secret": True, "encrypted": True}
    )
    totp_enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Last accepted TOTP time step, so one code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(BigId, default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where a new-location login's SMS code goes (IAM-3).
    mobile: Mapped[str | None] = mapped_column(
        String(11), default=None, info={"sensitive": "phone"}
    )
    # Contractors only: the last day of the service period; nothing is visible after it (IAM-7).
    service_ends_on: Mapped[date | None] = mapped_column(Date, default=None)


class PasswordHistory(Base):
    """Hashes of earlier passwords, so the last five are never reused (IAM-2)."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255), info={"secret": True})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionStage(enum.StrEnum):
    """A session past the password but not yet fully trusted may only finish setup."""

    FULL = "full"
    CHANGE_PASSWORD = "change_password"  # noqa: S105 - a stage name
    ENROL_TOTP = "enrol_totp"
    # A response playbook asked for the one-time code again before the next action (OPS-2).
    STEP_UP = "step_up"


class AuthSession(Base):
    """Server-side session (console cookie) or API bearer token. Only the token's hash is kept."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    kind: Mapped[str] = mapped_column(String(8))  # "console" | "api"
    stage: Mapped[SessionStage] = mapped_column(str_enum(SessionStage, 16))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    locale: Mapped[str | None] = mapped_column(String(8), default=None)


class AuditEntry(OrgScoped, Base):
    """One link of the tamper-evident chain (AUD-1, AUD-2).

    ``body`` is the canonical JSON of the whole entry, exactly the bytes that were hashed:
    ``hash = SM3(prev_hash ‖ body)``. Verification therefore re-hashes stored bytes without
    re-serialising anything. The other columns are an index for filtering and scope; the
    verifier checks them against the body, so editing either is detected.
    ``org_unit_id`` is the unit of the object acted on: auditors see their own subtree.
    """

    __tablename__ = "audit_entries"
    # The audit search (issue 13) filters by person, action prefix, object or unit and reads
    # newest first: each filter's index ends in ``seq`` so a page is an index range walked
    # backwards, not a sort of every matching entry — at millions of entries too.
    __table_args__ = (
        Index("ix_audit_entries_actor_seq", "actor_id", "seq"),
        Index("ix_audit_entries_action_seq", "action", "seq"),
        Index("ix_audit_entries_object_seq", "object_type", "object_id", "seq"),
        Index("ix_audit_entries_unit_seq", "org_unit_id", "seq"),
        {"info": {RECORDS_CHANGES: True}},
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # Nullable: platform-wide entries belong to no unit and only unrestricted staff see them.
    org_unit_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("org_units.id"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def _parsed(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def before(self) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self._parsed().get("before")
        return value

    @property
    def after(self) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self._parsed().get("after")
        return value

    @property
    def note(self) -> str | None:
        value: str | None = self._parsed().get("note")
        return value


class AuditHead(Base):
    """Single row holding the chain's tip; updating it first serialises writers."""

    __tablename__ = "audit_head"
    __table_args__ = ({"info": {RECORDS_CHANGES: True}},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """Where the chain starts after entries past retention were archived and pruned (AUD-4,
    ADR 0007): verification starts from the newest anchor's ``seq``/``hash`` instead of the
    genesis. Each anchor is itself recorded by an ``audit.pruned`` entry in the kept chain,
    so an anchor cannot be added or edited without breaking the chain."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, unique=True)  # the last pruned entry
    hash: Mapped[str] = mapped_column(String(64))  # its hash: the next entry's prev_hash
    first_seq: Mapped[int] = mapped_column(BigId)  # first entry in this archive
    entries: Mapped[int] = mapped_column(BigId)
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)  # everything pruned is older
    archive: Mapped[str] = mapped_column(String(255))  # archive file name
    archive_digest: Mapped[str] = mapped_column(String(64))  # SM3 of the file
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
