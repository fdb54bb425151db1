"""Emergency plans, the drill calendar, drill findings (OPS-5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.platform.db import Base, UTCDateTime


class EmergencyPlan(Base):
    __tablename__ = "secops_emergency_plans"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    steps: Mapped[list[str]] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Drill(Base):
    __tablename__ = "secops_drills"
    __table_args__ = (UniqueConstraint("plan_code", "scheduled_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_code: Mapped[str] = mapped_column(ForeignKey("secops_emergency_plans.code"))
    scheduled_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date, default=None)
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[str | None] = mapped_column(String(64), default=None)


class DrillFinding(Base):
    __tablename__ = "secops_drill_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("secops_drills.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    found_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_basis: Mapped[str] = mapped_column(String(64))
    fixed_on: Mapped[date | None] = mapped_column(Date, default=None)
    fix_note: Mapped[str | None] = mapped_column(String(500), default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
