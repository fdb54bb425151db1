"""Request and response shapes of the customer archive. Responses carry masked values only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from safegrid.customers.models import CustomerKind, RecordStatus
from safegrid.customers.validation import credit_code_problem, id_number_problem, mobile_problem
from safegrid.security.masking import mask


def _strip(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _check_mobile(v: str | None) -> str | None:
    v = _strip(v)
    if v is not None and (problem := mobile_problem(v)):
        raise ValueError(f"手机号无效 / mobile {problem}")
    return v


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: CustomerKind
    name: str = Field(min_length=2, max_length=100)
    org_unit_id: int = Field(gt=0)
    address: str = Field(min_length=6, max_length=200)
    id_number: str | None = None
    credit_code: str | None = None
    mobile: str | None = None
    is_key_customer: bool = False

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str | None) -> str | None:
        v = _strip(v)
        if v is not None:
            v = v.upper()
            problem = id_number_problem(v)
            if problem:
                raise ValueError(f"身份证号无效 / ID number {problem}")
        return v

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str | None) -> str | None:
        v = _strip(v)
        if v is not None:
            v = v.upper()
            problem = credit_code_problem(v)
            if problem:
                raise ValueError(f"统一社会信用代码无效 / credit code {problem}")
        return v

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        return _check_mobile(v)

    @model_validator(mode="after")
    def _identity_matches_kind(self) -> Self:
        if self.kind == CustomerKind.RESIDENT and not self.id_number:
            raise ValueError("居民客户须填写身份证号 / a resident needs id_number")
        if self.kind == CustomerKind.ENTERPRISE and not self.credit_code:
            raise ValueError("企业客户须填写统一社会信用代码 / an enterprise needs credit_code")
        if self.kind == CustomerKind.RESIDENT and self.credit_code:
            raise ValueError("居民客户不应有信用代码 / a resident has no credit_code")
        return self


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=2, max_length=100)
    address: str | None = Field(None, min_length=6, max_length=200)
    mobile: str | None = None
    is_key_customer: bool | None = None
    status: RecordStatus | None = None

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        return _check_mobile(v)


class DirectDebitUpdate(BaseModel):
    """The bank account an account's bills are debited from; both empty cancels it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bank_name: str | None = Field(None, min_length=2, max_length=64)
    bank_account: str | None = Field(None, pattern=r"^[0-9]{12,30}$")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.bank_name is None) != (self.bank_account is None):
            raise ValueError("开户行与账号须同时填写 / give bank_name and bank_account together")
        return self


class DirectDebitOut(BaseModel):
    """A billing account's direct-debit sign-up as the console shows it: masked (DATA-3)."""

    account_id: int
    account_number: str
    customer_id: int
    customer_number: str
    customer_name: str
    bank_name: str | None
    bank_account: str | None  # last 4 digits only


class MeterCreate(BaseModel):
    """Open an account with one supply point and meter for an existing customer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    asset_no: str = Field(min_length=6, max_length=32, pattern=r"^[A-Z0-9-]+$")
    model: str = Field(min_length=2, max_length=64)
    multiplier: int = Field(1, ge=1, le=10000)
    is_tou: bool = False
    reading_area_id: int = Field(gt=0)
    latitude: Decimal = Field(ge=Decimal("3.8"), le=Decimal("53.6"), decimal_places=6)
    longitude: Decimal = Field(ge=Decimal("73.5"), le=Decimal("135.1"), decimal_places=6)
    installed_on: date
    tariff_category: str = Field("residential", pattern=r"^(residential|commercial|industrial)$")
    voltage_kv: Decimal = Field(Decimal("0.22"), gt=0, le=Decimal("1000"))
    capacity_kva: Decimal = Field(Decimal("8"), gt=0, le=Decimal("1000000"))
    supply_address: str | None = Field(None, min_length=6, max_length=200)


class MeterOut(BaseModel):
    id: int
    asset_no: str
    model: str
    multiplier: int
    is_tou: bool
    reading_area_id: int
    latitude: Decimal
    longitude: Decimal
    installed_on: date
    status: RecordStatus
    org_unit_id: int


class AccountOut(BaseModel):
    id: int
    number: str
    tariff_category: str
    status: RecordStatus
    opened_on: date
    supply_address: str | None
    # Direct-debit bank account, masked to its last 4 digits (DATA-3).
    bank_name: str | None = None
    bank_account: str | None = None
    meters: list[MeterOut]


class ContractOut(BaseModel):
    id: int
    number: str
    signed_on: date
    valid_from: date
    valid_to: date | None
    capacity_kva: Decimal


class CustomerOut(BaseModel):
    id: int
    number: str
    kind: CustomerKind
    name: str
    id_number: str | None
    credit_code: str | None
    mobile: str | None
    address: str
    status: RecordStatus
    is_key_customer: bool
    org_unit_id: int
    org_unit_name: str | None = None

    @classmethod
    def masked(cls, c: object, org_unit_name: str | None = None) -> CustomerOut:
        g = c.__getattribute__
        return cls(
            id=g("id"),
            number=g("number"),
            kind=g("kind"),
            name=g("name"),
            id_number=mask("id_number", g("id_number")),
            credit_code=mask("credit_code", g("credit_code")),
            mobile=mask("phone", g("mobile")),
            address=mask("address", g("address")) or "",
            status=g("status"),
            is_key_customer=g("is_key_customer"),
            org_unit_id=g("org_unit_id"),
            org_unit_name=org_unit_name,
        )


class CustomerDetail(CustomerOut):
    accounts: list[AccountOut] = []
    contracts: list[ContractOut] = []
