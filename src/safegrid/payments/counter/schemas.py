"""API shapes of the counter (PAY-1) and daily cash (PAY-2). Amounts travel as strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from safegrid.payments.counter.models import CounterMethod, ReceiptStatus


class PaymentIn(BaseModel):
    account_no: str = Field(min_length=1, max_length=20, description="户号")
    amount: Decimal = Field(description="yuan, at most two decimals")
    method: CounterMethod = CounterMethod.CASH
    # One per form shown: resubmitting the same form returns the same receipt.
    request_key: str = Field(min_length=8, max_length=48, pattern=r"^[A-Za-z0-9_-]+$")
    bill_id: int | None = Field(default=None, gt=0, description="pay this bill (else oldest first)")
    card_voucher: str | None = Field(default=None, max_length=64, description="POS slip reference")
    hall_id: int | None = Field(default=None, gt=0)
    # Cash handed over by the customer; the change (找零) is tendered − amount.
    tendered: Decimal | None = Field(default=None, description="cash handed over, yuan")


class ConfirmIn(BaseModel):
    counted: Decimal = Field(description="the cash (or card slip) amount the checker counted")
    # A count that differs is refused unless the checker records it as 长短款.
    record_difference: bool = Field(
        default=False, description="record a differing count as a cash shortage/overage"
    )


class VoidRequestIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)


class VoidCancelIn(BaseModel):
    note: str = Field(default="", max_length=200)


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    receipt_no: str
    hall_id: int = Field(validation_alias="org_unit_id")
    business_day: date
    serial: int
    payment_id: int
    account_id: int
    account_no: str
    bill_id: int | None
    amount: Decimal
    applied: Decimal
    credited: Decimal
    method: CounterMethod
    card_voucher: str | None
    tendered: Decimal | None = None
    status: ReceiptStatus
    cashier_id: int
    cashier_name: str
    recorded_at: datetime
    checker_id: int | None
    checker_name: str | None
    confirmed_at: datetime | None
    void_reason: str | None
    void_requested_by_id: int | None
    void_requested_by: str | None
    void_requested_at: datetime | None
    void_cosigned_by: str | None
    voided_at: datetime | None
    settlement_id: int | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> Decimal | None:
        """找零: what the cashier handed back (cash payments with the tendered amount)."""
        return None if self.tendered is None else self.tendered - self.amount


class OpenBill(BaseModel):
    bill_id: int
    number: str
    period: str
    due_date: date
    outstanding: Decimal


class AccountAtCounter(BaseModel):
    account_id: int
    account_no: str
    customer_name: str
    open_bills: list[OpenBill]
    outstanding: Decimal
    credit: Decimal


class DrawerCountIn(BaseModel):
    cashier_id: int = Field(gt=0)
    business_day: date
    counted_cash: Decimal
    note: str | None = Field(default=None, max_length=200)
    hall_id: int | None = Field(default=None, gt=0)


class SafeIn(BaseModel):
    bag_no: str = Field(min_length=1, max_length=32, description="sealed cash bag number")


class SettlementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hall_id: int = Field(validation_alias="org_unit_id")
    business_day: date
    cashier_id: int
    cashier_name: str
    receipt_count: int
    expected_cash: Decimal
    expected_card: Decimal
    counted_cash: Decimal
    difference: Decimal
    counted_by: str
    counted_at: datetime
    note: str | None
    safe_bag_no: str | None
    safe_by: str | None
    safe_at: datetime | None
    deposit_id: int | None


class DepositIn(BaseModel):
    business_day: date
    bank_voucher: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    depositor_a_id: int = Field(gt=0)
    depositor_b_id: int = Field(gt=0)
    deposited_at: datetime | None = Field(
        default=None, description="time at the bank; now if absent"
    )
    hall_id: int | None = Field(default=None, gt=0)


class DepositOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hall_id: int = Field(validation_alias="org_unit_id")
    business_day: date
    amount: Decimal
    bank_voucher: str
    depositor_a_id: int
    depositor_a_name: str
    depositor_b_id: int
    depositor_b_name: str
    deposited_at: datetime
    deadline_at: datetime
    late: bool
    recorded_by: str
    slip_sha256: str | None
    slip_media_type: str | None
    slip_bytes: int | None
    slip_uploaded_by: str | None
    slip_uploaded_at: datetime | None


class TraceOut(BaseModel):
    """One yuan's path: receipt → cashier → checker → drawer → safe → bank → voucher."""

    receipt: ReceiptOut
    payment_status: str
    bank_voucher: str | None
    settlement: SettlementOut | None
    deposit: DepositOut | None


class VoucherTraceOut(BaseModel):
    bank_voucher: str
    deposit: DepositOut | None
    receipts: list[ReceiptOut]
    total: Decimal
