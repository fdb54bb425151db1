"""The server's record of offline hall nodes (OPS-6): the paired nodes and their sealing
keys, every sync batch (its key unique: a batch is applied once), and the cases an offline
payment leaves when it cannot simply be recorded (a bill paid meanwhile, an entry refused)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime
from safegrid.platform.money import Money


class OfflineNode(OrgScoped, Base):
    """A hall's local node (``org_unit_id`` is the hall); its SM4 key seals the batches.
    One active node per hall: the hall's offline receipt series is the node's. A revoked
    node stays on record (its batches are refused) and the hall may be given a new one.

    Registered by an administrator, the node waits for its one-time pairing code
    (``pairing_digest``, SHA-256 of the code, never the code) until the node presents it
    once, before ``pairing_expires_at``; ``claimed_at`` says it did."""

    __tablename__ = "offline_hall_nodes"
    __table_args__ = (
        Index(
            "uq_offline_hall_nodes_active_hall",
            "org_unit_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    seal_key: Mapped[str] = mapped_column(Text, info={"secret": True, "encrypted": True})
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paired_by: Mapped[str] = mapped_column(String(64))
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pairing_digest: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # What the node said when it last asked for its rows (after each sync): receipts still
    # waiting on it (queued for the server, or for their checker).
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    pending: Mapped[int | None] = mapped_column(Integer, default=None)


class OfflineBatch(OrgScoped, Base):
    __tablename__ = "offline_sync_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(64), unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("offline_hall_nodes.id"), index=True)
    entries: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    replayed: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    synced_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfflineCase(OrgScoped, Base):
    """收款冲突: one per offline entry (its key unique) whose money needs a person — the
    bill was paid online meanwhile (the money is credit on the account) or the server
    refused the entry (the money was taken but is not in the ledger)."""

    __tablename__ = "offline_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # paid_meanwhile | refused
    receipt_no: Mapped[str] = mapped_column(String(64))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("counter_receipts.id"), default=None)
    account_no: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    credited: Mapped[Decimal] = mapped_column(Money)
    message: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolution: Mapped[str | None] = mapped_column(String(400), default=None)
