"""Tables of data use: requests, grants, the access log, exports and rate-limit events.

Requests and grants belong to the requester's unit, access-log rows to the customer's
unit, exports to the operator's unit, so the row scope (ORG-2) decides who sees them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.security.models import BigId


class RequestKind(enum.StrEnum):
    VIEW = "view"  # see values unmasked in the console/API
    EXPORT = "export"  # put unmasked values into an exported file


class RequestStatus(enum.StrEnum):
    PENDING_HEAD = "pending_head"
    PENDING_DSO = "pending_dso"
    APPROVED = "approved"
    REJECTED = "rejected"


class DataUseRequest(OrgScoped, Base):
    """数据使用申请. ``org_unit_id`` is the requester's unit: approvers see it only when it
    lies in their subtree."""

    __tablename__ = "datause_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, 16))
    requester_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    requester_name: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON)
    # Either an explicit list of customers or an org subtree (never both).
    customer_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), default=None)
    period_from: Mapped[datetime] = mapped_column(UTCDateTime)
    period_to: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, 16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    head_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)
    head_name: Mapped[str | None] = mapped_column(String(64), default=None)
    head_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    head_note: Mapped[str | None] = mapped_column(String(500), default=None)
    dso_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)
    dso_name: Mapped[str | None] = mapped_column(String(64), default=None)
    dso_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    dso_note: Mapped[str | None] = mapped_column(String(500), default=None)


class DataUseGrant(OrgScoped, Base):
    """The time-limited permission an approved request becomes. Only its grantee uses it."""

    __tablename__ = "datause_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("datause_requests.id"), unique=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, 16))
    grantee_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    grantee_name: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JSON)
    customer_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    scope_path: Mapped[str | None] = mapped_column(String(255), default=None)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Ended early by a data security officer: valid_to is moved to the revocation time.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(500), default=None)

    def covers_customer(self, customer_id: int, customer_unit_path: str) -> bool:
        if self.customer_ids is not None:
            return customer_id in self.customer_ids
        return self.scope_path is not None and customer_unit_path.startswith(self.scope_path)

    def active_at(self, at: datetime) -> bool:
        return self.valid_from <= at < self.valid_to


class AccessLog(OrgScoped, Base):
    """One unmasked view of one field of one customer (DATA-4), kept ≥ 2 years (AUD-4).
    ``org_unit_id`` is the customer's unit."""

    __tablename__ = "access_logs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, index=True)
    staff_name: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    ip: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    field: Mapped[str] = mapped_column(String(32))
    grant_id: Mapped[int] = mapped_column(Integer, index=True)
    export_id: Mapped[int | None] = mapped_column(Integer, default=None)


class ExportRecord(OrgScoped, Base):
    """One exported file; its watermark names this row (DATA-5). ``org_unit_id`` is the
    operator's unit."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(Integer, index=True)
    operator_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    dataset: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("datause_requests.id"))
    unmasked_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    filename: Mapped[str] = mapped_column(String(128), default="")

    def watermark_fields(self) -> dict[str, Any]:
        return {
            "export_id": self.id,
            "operator_id": self.operator_id,
            "operator": self.operator_name,
            "at": self.at.isoformat(),
            "request_id": self.request_id,
        }


class RateEvent(Base):
    """One counted bulk action of one user; a sliding window over these rows is the
    per-user rate limit, shared by every process through the database (DATA-5)."""

    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateBucket(Base):
    """One row per user and limited action: taking it (an upsert that row-locks it until
    the transaction ends) makes one user's requests of one action count and insert one at
    a time, so two simultaneous requests cannot both pass at the edge of the limit."""

    __tablename__ = "rate_buckets"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_request_at: Mapped[datetime] = mapped_column(UTCDateTime)
