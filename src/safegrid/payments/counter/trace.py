"""Trace (PAY-2): any yuan from its receipt to the bank voucher, and back.

Receipt → payment (ledger status) → cashier and checker signatures → drawer settlement
(counted, safe) → bank deposit (two depositors, voucher, slip hash). Reverse: a voucher →
every receipt whose payment carries it. Reads only, under the caller's row scope.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from safegrid.payments.counter import receipts
from safegrid.payments.counter.models import BankDeposit, CounterReceipt, DrawerSettlement
from safegrid.payments.counter.schemas import (
    DepositOut,
    ReceiptOut,
    SettlementOut,
    TraceOut,
    VoucherTraceOut,
)
from safegrid.payments.ledger.models import Payment
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.uow import UnitOfWork

NOT_FOUND = "收据不存在 / receipt not found"


def trace_receipt(
    uow: UnitOfWork, *, receipt_no: str | None = None, payment_id: int | None = None
) -> TraceOut:
    if (receipt_no is None) == (payment_id is None):
        raise ValidationProblem(
            "请给出收据号或缴费编号之一 / give a receipt number or a payment id", field="receipt_no"
        )
    with uow:
        stmt = select(CounterReceipt)
        if receipt_no is not None:
            stmt = stmt.where(CounterReceipt.receipt_no == str(receipts.parse(receipt_no)))
        else:
            stmt = stmt.where(CounterReceipt.payment_id == payment_id)
        receipt = uow.session.scalars(stmt).first()
        if receipt is None:
            raise NotFoundError(NOT_FOUND)
        payment = uow.session.get(Payment, receipt.payment_id)
        settlement = (
            uow.session.get(DrawerSettlement, receipt.settlement_id)
            if receipt.settlement_id
            else None
        )
        deposit = (
            uow.session.get(BankDeposit, settlement.deposit_id)
            if settlement is not None and settlement.deposit_id is not None
            else None
        )
        return TraceOut(
            receipt=ReceiptOut.model_validate(receipt),
            # The payment belongs to the account's unit; someone who sees the hall but not
            # that station still sees the receipt's own facts.
            payment_status=payment.status.value if payment is not None else "-",
            bank_voucher=payment.bank_voucher if payment is not None else None,
            settlement=SettlementOut.model_validate(settlement) if settlement else None,
            deposit=DepositOut.model_validate(deposit) if deposit else None,
        )


def trace_voucher(uow: UnitOfWork, voucher: str) -> VoucherTraceOut:
    value = voucher.strip().upper()
    if not value:
        raise ValidationProblem("请输入银行凭证号 / enter a bank voucher number", field="voucher")
    with uow:
        deposit = uow.session.scalars(
            select(BankDeposit).where(BankDeposit.bank_voucher == value)
        ).first()
        rows = list(
            uow.session.scalars(
                select(CounterReceipt)
                .join(Payment, Payment.id == CounterReceipt.payment_id)
                .where(Payment.bank_voucher.in_([value, voucher.strip()]))
                .order_by(CounterReceipt.id)
            ).all()
        )
        if deposit is None and not rows:
            raise NotFoundError("银行凭证号不存在 / bank voucher not found")
        out = [ReceiptOut.model_validate(r) for r in rows]
        return VoucherTraceOut(
            bank_voucher=value,
            deposit=DepositOut.model_validate(deposit) if deposit else None,
            receipts=out,
            total=sum((r.amount for r in out if r.status.value != "voided"), Decimal("0.00")),
        )
