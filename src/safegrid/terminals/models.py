"""Field terminal tables (DATA-7).

A terminal authenticates with its public ``code`` and a secret shown once at
registration; only the secret's SHA-256 is stored (like API tokens: the secret is 256
random bits, so a slow hash adds nothing). Its upload key (SM4) is stored wrapped.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum


class TerminalStatus(enum.StrEnum):
    ACTIVE = "active"
    LOST = "lost"  # credentials revoked, wipe command queued, not yet acknowledged
    WIPED = "wiped"  # the terminal acknowledged its wipe
    RETIRED = "retired"


class Terminal(OrgScoped, Base):
    __tablename__ = "field_terminals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    serial_no: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str] = mapped_column(String(64))
    reader_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    status: Mapped[TerminalStatus] = mapped_column(
        str_enum(TerminalStatus, 16), default=TerminalStatus.ACTIVE
    )
    secret_digest: Mapped[str] = mapped_column(String(64), info={"secret": True})
    # ``tkw$<key version>$<base64>``: the SM4 upload key wrapped by a master key.
    upload_key: Mapped[str] = mapped_column(Text, info={"secret": True, "encrypted": True})
    credentials_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lost_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    wiped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CommandKind(enum.StrEnum):
    WIPE = "wipe"


class CommandStatus(enum.StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"


class TerminalCommand(OrgScoped, Base):
    """A command waiting for (or fetched and confirmed by) a terminal."""

    __tablename__ = "terminal_commands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("field_terminals.id"), index=True)
    kind: Mapped[CommandKind] = mapped_column(str_enum(CommandKind, 16))
    status: Mapped[CommandStatus] = mapped_column(str_enum(CommandStatus, 16))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_by: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TerminalUpload(OrgScoped, Base):
    """One accepted reading batch. ``(terminal_id, batch_id)`` is the idempotency key: a
    replayed batch finds its row and inserts nothing."""

    __tablename__ = "terminal_uploads"
    __table_args__ = (UniqueConstraint("terminal_id", "batch_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("field_terminals.id"), index=True)
    batch_id: Mapped[str] = mapped_column(String(64))
    reader_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    reader_username: Mapped[str] = mapped_column(String(64))
    readings: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
