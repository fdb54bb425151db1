"""Portal tables: the customer's identity (a mobile number, no staff account), his sign-in
codes and sessions, the accounts he bound, and his complaints and suggestions.

Nothing secret is stored in the clear: codes and session tokens as keyed hashes, the mobile
number SM4-encrypted with a unique blind index (DATA-1)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.security.fields import sensitive

BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class PortalCustomer(Base):
    """One mobile number that signed in. Not org-scoped: a person may hold accounts in
    several units; what he sees is decided by his bindings."""

    __tablename__ = "portal_customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One number, one portal identity: the unique blind index makes a concurrent first
    # sign-in of the same number one row.
    mobile: Mapped[str] = sensitive("phone", 11, searchable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PortalSignInCode(Base):
    """A 6-digit code sent by SMS. Keyed by the number's blind index, so no number is
    stored in the clear here; the code only as HMAC(secret key, ...)."""

    __tablename__ = "portal_sign_in_codes"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    mobile_key: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)


class PortalSession(Base):
    """The portal's own session (cookie ``sg_portal``), never a staff session."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)


class PortalBinding(OrgScoped, Base):
    """An account (户号) a portal customer proved he owns. One holder per account: the
    unique constraint decides a race between two numbers binding the same account; an
    unbinding deletes the row (the audit chain keeps the history)."""

    __tablename__ = "portal_bindings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_customers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedbackKind(enum.StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class FeedbackStatus(enum.StrEnum):
    OPEN = "open"  # waiting for staff: a to-do item of the account's unit
    ANSWERED = "answered"  # the customer may now rate the handling
    RATED = "rated"


class PortalFeedback(OrgScoped, Base):
    """A complaint or suggestion about one of the customer's accounts, filed in that
    account's unit; answered by staff, then rated by the customer (1-5 + comment)."""

    __tablename__ = "portal_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_customers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[FeedbackKind] = mapped_column(str_enum(FeedbackKind, 16))
    subject: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[FeedbackStatus] = mapped_column(str_enum(FeedbackStatus, 16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    answered_by: Mapped[str | None] = mapped_column(String(64), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    rating_comment: Mapped[str | None] = mapped_column(String(500), default=None)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
