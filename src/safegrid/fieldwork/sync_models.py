"""Offline sync bookkeeping (OPS-6 field side, ADR 0027): one row per batch a device sent
and one per action in it, both keyed by the device's idempotency keys (unique columns)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime


class SyncBatch(OrgScoped, Base):
    __tablename__ = "field_sync_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    actions: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    replayed: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncReceipt(OrgScoped, Base):
    """The first outcome of an action key; a key's first outcome is final."""

    __tablename__ = "field_sync_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    batch_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # applied | refused
    message: Mapped[str | None] = mapped_column(String(400), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
