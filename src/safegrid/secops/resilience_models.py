"""Backup runs and restore drills as the posture sees them (OPS-4). The backup directory's
manifests stay the record of what can be restored; these rows are the audited history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform.db import Base, UTCDateTime
from safegrid.security.models import BigId


class BackupRun(Base):
    __tablename__ = "secops_backup_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backup_id: Mapped[str] = mapped_column(String(64), unique=True)
    backend: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(BigId)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RestoreDrill(Base):
    __tablename__ = "secops_restore_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backup_id: Mapped[str] = mapped_column(String(64))
    target_time: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rto_seconds: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    chain_ok: Mapped[bool] = mapped_column(Boolean)
    counts_ok: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500))


class AttackEvent(Base):
    """A blocked attack (OPS-8); at most one row per network, kind and minute."""

    __tablename__ = "secops_attack_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    network: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))
