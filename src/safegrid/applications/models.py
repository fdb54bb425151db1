"""业扩 application tables (HALL-6, HALL-10). An application belongs to the hall that
handles it (its org unit), so the ORG-2 scope that filters the queue filters these too;
the customer's own account is referenced, never copied beyond what the form shows."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.hall.models import BIG_ID
from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.security.fields import sensitive


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # 预受理: waiting for a hall agent
    MORE_REQUESTED = "more_requested"  # 补充资料: waiting for the applicant
    ACCEPTED = "accepted"  # 受理
    REJECTED = "rejected"  # 不予受理


OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.MORE_REQUESTED)
STATUS_LABELS: Final[dict[ApplicationStatus, tuple[str, str]]] = {
    ApplicationStatus.SUBMITTED: ("待受理", "Waiting for the hall"),
    ApplicationStatus.MORE_REQUESTED: ("待补充资料", "Waiting for documents"),
    ApplicationStatus.ACCEPTED: ("已受理", "Accepted"),
    ApplicationStatus.REJECTED: ("不予受理", "Rejected"),
}


class ApplicationChannel(enum.StrEnum):
    PORTAL = "portal"  # the customer himself, on the Internet+ portal
    HALL = "hall"  # a hall agent for the customer at the counter
    API = "api"  # a staff member through the API


class BusinessApplication(OrgScoped, Base):
    __tablename__ = "business_applications"
    __table_args__ = (
        # The hall's work list: open applications by deadline.
        Index("ix_business_applications_open", "org_unit_id", "status", "handle_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, 16))
    channel: Mapped[ApplicationChannel] = mapped_column(str_enum(ApplicationChannel, 8))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The 户号 as filed: the hall's own staff read it without seeing the station's archive.
    account_no: Mapped[str] = mapped_column(String(20), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = sensitive("phone", 11)
    site_address: Mapped[str] = sensitive("address", 200)
    capacity_kva: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    current_capacity_kva: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    note: Mapped[str] = mapped_column(String(500), default="")
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The hall's deadline (working days from the last submission) and, while more is
    # requested, the applicant's.
    handle_by: Mapped[date] = mapped_column(Date)
    missing: Mapped[str | None] = mapped_column(String(500), default=None)
    supply_by: Mapped[date | None] = mapped_column(Date, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reject_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApplicationDocument(OrgScoped, Base):
    """A document kept byte for byte under its SHA-256, its type read from its content."""

    __tablename__ = "business_application_documents"
    # The same file twice on one application is a mistake, refused by the database.
    __table_args__ = (UniqueConstraint("application_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("business_applications.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApplicationStep(OrgScoped, Base):
    """The application's history as its reader sees it (the same facts also go to the
    hall event store and its feed)."""

    __tablename__ = "business_application_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("business_applications.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, 16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    deadline: Mapped[date | None] = mapped_column(Date, default=None)
    hall_event_id: Mapped[int | None] = mapped_column(BIG_ID, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
