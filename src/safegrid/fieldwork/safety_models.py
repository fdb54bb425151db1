"""Tables of the field safety controls: tool kits and their insulation tests (FLD-1), the
三查三测 checklist and its photos (FLD-2), device positions and the alarms they raise
(FLD-4, FLD-6)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum


class KitPiece(enum.StrEnum):
    """The eight pieces of a field worker's kit; each is insulation-tested monthly."""

    GLOVES = "gloves"  # 绝缘手套
    BOOTS = "boots"  # 绝缘鞋
    HELMET = "helmet"  # 安全帽
    ELECTROSCOPE = "electroscope"  # 验电笔
    MULTIMETER = "multimeter"  # 万用表
    EARTH_TESTER = "earth_tester"  # 接地电阻测试仪
    SCREWDRIVERS = "screwdrivers"  # 绝缘螺丝刀
    BELT = "belt"  # 安全带


class ToolKit(OrgScoped, Base):
    __tablename__ = "tool_kits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # One kit per worker: the binding is a unique column, not a check in the service.
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), unique=True, default=None
    )
    pieces: Mapped[dict[str, str]] = mapped_column(JSON)  # KitPiece → serial number
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_test_on: Mapped[date | None] = mapped_column(Date, default=None)
    last_test_passed: Mapped[bool | None] = mapped_column(Boolean, default=None)


class KitTest(OrgScoped, Base):
    """One monthly insulation test of a kit, piece by piece (append-only)."""

    __tablename__ = "kit_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("tool_kits.id"), index=True)
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)
    tested_on: Mapped[date] = mapped_column(Date)
    tester_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    results: Mapped[dict[str, bool]] = mapped_column(JSON)  # KitPiece → passed
    passed: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckItem(enum.StrEnum):
    """三查三测: three looks, three measurements."""

    CASING = "casing"  # 表箱外壳完好
    GROUNDING = "grounding"  # 接地牢固
    NO_WATER = "no_water"  # 无积水
    ELECTROSCOPE = "electroscope"  # 验电笔验表箱
    VOLTAGE = "voltage"  # 万用表测电压 (V)
    GROUND_RESISTANCE = "ground_resistance"  # 接地电阻 (Ω)


class FieldPhoto(OrgScoped, Base):
    """A photo taken on site, kept byte for byte under its SHA-256 (FLD-2)."""

    __tablename__ = "field_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderCheck(OrgScoped, Base):
    __tablename__ = "work_order_checks"
    __table_args__ = (UniqueConstraint("work_order_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    item: Mapped[CheckItem] = mapped_column(str_enum(CheckItem, 24))
    ok: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), default=None)
    # A photo proves one item of one order: reusing it elsewhere is refused by the database.
    photo_id: Mapped[int] = mapped_column(ForeignKey("field_photos.id"), unique=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PositionFix(OrgScoped, Base):
    """A device's position during an order (operator or supervisor)."""

    __tablename__ = "field_positions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    lat: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlarmKind(enum.StrEnum):
    GEOFENCE = "geofence"  # FLD-6
    SUPERVISOR_DISTANCE = "supervisor_distance"  # FLD-4
    WEATHER = "weather"  # FLD-5
    GROUND_RESISTANCE = "ground_resistance"  # FLD-2


class FieldAlarm(OrgScoped, Base):
    __tablename__ = "field_alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[AlarmKind] = mapped_column(str_enum(AlarmKind, 24))
    message: Mapped[str] = mapped_column(String(400))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    told: Mapped[list[str]] = mapped_column(JSON)  # usernames of the people alerted
