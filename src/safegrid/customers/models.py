"""Customer archive tables (BILL-1). Sensitive columns declare their class once (DATA-1)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safegrid.org.models import OrgScoped
from safegrid.platform.db import Base, UTCDateTime, str_enum
from safegrid.security.fields import sensitive


class CustomerKind(enum.StrEnum):
    RESIDENT = "resident"
    ENTERPRISE = "enterprise"


class RecordStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Customer(OrgScoped, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind, 16))
    name: Mapped[str] = mapped_column(String(100), index=True)
    # Encrypted at rest; the searchable ones get a blind-index companion (``*_bidx``).
    # One person, one archive (BILL-1): a unique blind index, so concurrent registrations
    # of one ID number cannot both commit, whatever unit they are filed in.
    id_number: Mapped[str | None] = sensitive("id_number", 18, searchable=True, unique=True)
    credit_code: Mapped[str | None] = sensitive("credit_code", 18, searchable=True)
    mobile: Mapped[str | None] = sensitive("phone", 11, searchable=True)
    address: Mapped[str] = sensitive("address", 200)
    status: Mapped[RecordStatus] = mapped_column(
        str_enum(RecordStatus, 16), default=RecordStatus.ACTIVE
    )
    is_key_customer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    accounts: Mapped[list[Account]] = relationship(back_populates="customer", lazy="selectin")
    contracts: Mapped[list[SupplyContract]] = relationship(back_populates="customer")


class Account(OrgScoped, Base):
    """Billing account (户号). A customer may hold several."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    tariff_category: Mapped[str] = mapped_column(
        String(32), info={"key_field": "tariff"}
    )  # residential / commercial / industrial
    status: Mapped[RecordStatus] = mapped_column(
        str_enum(RecordStatus, 16), default=RecordStatus.ACTIVE
    )
    opened_on: Mapped[date] = mapped_column(Date)
    # Direct-debit bank account (代扣账户), if the customer signed one up.
    bank_name: Mapped[str | None] = mapped_column(String(64), default=None)
    bank_account: Mapped[str | None] = sensitive(
        "bank_account", 32, default=None, info={"key_field": "bank_account"}
    )

    customer: Mapped[Customer] = relationship(back_populates="accounts")
    supply_points: Mapped[list[SupplyPoint]] = relationship(back_populates="account")


class SupplyPoint(OrgScoped, Base):
    __tablename__ = "supply_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    address: Mapped[str] = sensitive("address", 200)
    voltage_kv: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    capacity_kva: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    account: Mapped[Account] = relationship(back_populates="supply_points")
    meters: Mapped[list[Meter]] = relationship(back_populates="supply_point")


class ReadingArea(OrgScoped, Base):
    """Meter reading area (抄表区段); meter readers see only the meters of theirs (IAM-1)."""

    __tablename__ = "reading_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), index=True)


class Meter(OrgScoped, Base):
    __tablename__ = "meters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_no: Mapped[str] = mapped_column(String(32), unique=True)
    supply_point_id: Mapped[int] = mapped_column(ForeignKey("supply_points.id"), index=True)
    reading_area_id: Mapped[int] = mapped_column(ForeignKey("reading_areas.id"), index=True)
    model: Mapped[str] = mapped_column(String(64))
    multiplier: Mapped[int] = mapped_column(
        Integer, default=1, info={"key_field": "meter_multiplier"}
    )
    is_tou: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    installed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[RecordStatus] = mapped_column(
        str_enum(RecordStatus, 16), default=RecordStatus.ACTIVE
    )

    supply_point: Mapped[SupplyPoint] = relationship(back_populates="meters")


class SupplyContract(OrgScoped, Base):
    __tablename__ = "supply_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    capacity_kva: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    customer: Mapped[Customer] = relationship(back_populates="contracts")
