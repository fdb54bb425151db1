"""The record of every scheduled-job run, so the console can show what ran, when, and how
it ended (the jobs themselves are in :mod:`safegrid.platform.jobs`)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform.db import Base, UTCDateTime, str_enum


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # the same job was still running (another process or a slow run)


class JobRun(Base):
    """Platform-wide, not org-scoped: jobs act for the whole utility as the system."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule / cli / console
    triggered_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, 16), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    summary: Mapped[str | None] = mapped_column(String(500), default=None)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
