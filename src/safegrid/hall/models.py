"""Hall tables (HALL-1, HALL-2, HALL-7, HALL-8). Every row belongs to its hall's org unit,
so the ORG-2 scope that filters customers filters the queue too: a province sees every
hall, a city its own, a hall itself."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.hall.catalogue import BusinessType, Channel, TicketStatus, WindowStatus
from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum

BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class HallProfile(OrgScoped, Base):
    """The hall's business settings; the hall itself is its org unit (kind ``hall``)."""

    __tablename__ = "hall_profiles"
    __table_args__ = (UniqueConstraint("org_unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[time] = mapped_column(Time)  # Beijing time
    closes_at: Mapped[time] = mapped_column(Time)
    # HALL-4: more waiting tickets of one type than this, or a wait longer than this.
    queue_threshold: Mapped[int] = mapped_column(Integer)
    wait_limit_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HallWindow(OrgScoped, Base):
    __tablename__ = "hall_windows"
    __table_args__ = (UniqueConstraint("org_unit_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    # Comma-separated business types (catalogue.parse_skills).
    skills: Mapped[str] = mapped_column(String(200))
    status: Mapped[WindowStatus] = mapped_column(str_enum(WindowStatus, 16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), default=None)


class Ticket(OrgScoped, Base):
    __tablename__ = "hall_tickets"
    __table_args__ = (
        UniqueConstraint("org_unit_id", "business_day", "number"),
        # The call-next claim reads only waiting tickets of one hall and day.
        Index(
            "ix_hall_tickets_waiting",
            "org_unit_id",
            "business_day",
            "business_type",
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        # A window serves one ticket at a time: two presses of "next" at one window cannot
        # both succeed (the second insert of a called ticket for it breaks this index).
        Index(
            "uq_hall_tickets_window_serving",
            "window_id",
            unique=True,
            sqlite_where=text("status = 'called'"),
            postgresql_where=text("status = 'called'"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    business_day: Mapped[date] = mapped_column(Date)
    business_type: Mapped[BusinessType] = mapped_column(str_enum(BusinessType, 24))
    number: Mapped[str] = mapped_column(String(12))
    priority: Mapped[int] = mapped_column(SmallInteger)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), default=None, index=True
    )
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, 16))
    # Set by a transfer to a named window: only that window calls it.
    target_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("hall_windows.id"), default=None
    )
    window_id: Mapped[int | None] = mapped_column(ForeignKey("hall_windows.id"), default=None)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    call_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    served_by: Mapped[str | None] = mapped_column(String(64), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Seconds at the window (called → finished), kept so history averages are plain SQL.
    service_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    wait_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    rating_comment: Mapped[str | None] = mapped_column(String(300), default=None)


class ServiceStat(OrgScoped, Base):
    """A hall's own average service time per business type over its recent history, the
    basis of the predicted wait (refreshed at each day's close, ``days.do_close_day``)."""

    __tablename__ = "hall_service_stats"
    __table_args__ = (UniqueConstraint("org_unit_id", "business_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_type: Mapped[BusinessType] = mapped_column(str_enum(BusinessType, 24))
    avg_seconds: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Appointment(OrgScoped, Base):
    __tablename__ = "hall_appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_type: Mapped[BusinessType] = mapped_column(str_enum(BusinessType, 24))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    contact_name: Mapped[str] = mapped_column(String(60))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("hall_tickets.id"), default=None, unique=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class HallEvent(OrgScoped, Base):
    """The append-only event store (HALL-8): every business fact of a hall, in order. The
    monitor's state is a fold over these rows (``monitor.rebuild``); the feed (HALL-7)
    hands them to outside systems by ``id`` cursor. Nothing updates or deletes a row."""

    __tablename__ = "hall_events"
    __table_args__ = (Index("ix_hall_events_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(BIG_ID, default=None)
    customer_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    window_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedSubscriber(OrgScoped, Base):
    """An outside system reading the hall feed (HALL-7): it sees the events of its org
    subtree only, pulls with its own credential, and may have events pushed to its URL."""

    __tablename__ = "hall_feed_subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    # HMAC key of pushed bodies; read back to sign, so encrypted (DATA-2).
    signing_secret: Mapped[str] = mapped_column(
        String(64), info={"secret": True, "encrypted": True}
    )
    webhook_url: Mapped[str | None] = mapped_column(String(500), default=None)
    # The last event id pushed to webhook_url (the pull API's cursor is the caller's).
    pushed_through: Mapped[int] = mapped_column(BIG_ID, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class HallTerminal(OrgScoped, Base):
    """A self-service terminal of any vendor in a hall (HALL-5). It authenticates with its
    public ``code`` and a secret shown once; only the secret's SHA-256 is stored (the field
    terminals' scheme, ``safegrid.terminals.keys``)."""

    __tablename__ = "hall_terminals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    serial_no: Mapped[str] = mapped_column(String(64), unique=True)
    vendor: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(64))
    secret_digest: Mapped[str] = mapped_column(String(64), info={"secret": True})
    # Who gets the SMS about a fault or missed heartbeats (the hall's duty phone).
    alert_phone: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(64))
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when missed heartbeats were reported; cleared by the next heartbeat.
    silent_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TerminalFault(OrgScoped, Base):
    __tablename__ = "hall_terminal_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("hall_terminals.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))  # open / handling / closed
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
