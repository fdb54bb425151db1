"""Counter and daily-cash API (PAY-1, PAY-2): parse → guard → service. No queries here."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.payments.counter import deposit_slips, settlement
from safegrid.payments.counter import queries as counter_queries
from safegrid.payments.counter import services as counter
from safegrid.payments.counter import trace as counter_trace
from safegrid.payments.counter import voids as counter_voids
from safegrid.payments.counter.models import ReceiptStatus
from safegrid.payments.counter.schemas import (
    AccountAtCounter,
    ConfirmIn,
    DepositIn,
    DepositOut,
    DrawerCountIn,
    PaymentIn,
    ReceiptOut,
    SafeIn,
    SettlementOut,
    TraceOut,
    VoidCancelIn,
    VoidRequestIn,
    VoucherTraceOut,
)
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api/counter", tags=["counter 柜台收费"])


@router.get("/accounts/{account_no}", response_model=AccountAtCounter)
def find_account(
    account_no: str, actor: Actor = Depends(require(Perm.COUNTER_PAY))
) -> AccountAtCounter:
    """The account behind a 户号: open bills (oldest first), outstanding and credit."""
    return counter_queries.account_at_counter(get_platform().uow(actor, readonly=True), account_no)


@router.post("/payments", status_code=status.HTTP_201_CREATED, response_model=ReceiptOut)
def take_payment(body: PaymentIn, actor: Actor = Depends(require(Perm.COUNTER_PAY))) -> ReceiptOut:
    """收款: cash or card; the receipt number is the hall's next of the day."""
    return counter.do_record_payment(get_platform().uow(actor), body)


@router.get("/receipts", response_model=list[ReceiptOut])
def list_receipts(
    actor: Actor = Depends(require(Perm.COUNTER_VIEW)),
    day: date | None = None,
    receipt_status: ReceiptStatus | None = Query(None, alias="status"),
    hall_id: int | None = Query(None, gt=0),
    cashier_id: int | None = Query(None, gt=0),
) -> list[ReceiptOut]:
    return counter_queries.receipts(
        get_platform().uow(actor, readonly=True),
        day=day,
        status=receipt_status,
        hall_id=hall_id,
        cashier_id=cashier_id,
    )


@router.get("/receipts/{receipt_id}", response_model=ReceiptOut)
def read_receipt(receipt_id: int, actor: Actor = Depends(require(Perm.COUNTER_VIEW))) -> ReceiptOut:
    return counter_queries.receipt(get_platform().uow(actor, readonly=True), receipt_id)


@router.post("/receipts/{receipt_id}/confirm", response_model=ReceiptOut)
def confirm_receipt(
    receipt_id: int, body: ConfirmIn, actor: Actor = Depends(require(Perm.COUNTER_CHECK))
) -> ReceiptOut:
    """复核: a checker of the hall (never its cashier) signs after counting the money."""
    return counter.do_confirm(get_platform().uow(actor), receipt_id, body)


@router.post("/receipts/{receipt_id}/void-request", response_model=ReceiptOut)
def request_void(
    receipt_id: int, body: VoidRequestIn, actor: Actor = Depends(require(Perm.COUNTER_VOID))
) -> ReceiptOut:
    """First signature of a void: the receipt's cashier or a checker of its hall."""
    return counter_voids.do_request_void(get_platform().uow(actor), receipt_id, body)


@router.post("/receipts/{receipt_id}/void-cosign", response_model=ReceiptOut)
def cosign_void(receipt_id: int, actor: Actor = Depends(require(Perm.COUNTER_VOID))) -> ReceiptOut:
    """Second signature, by the other of cashier and checker: the payment is voided."""
    return counter_voids.do_cosign_void(get_platform().uow(actor), receipt_id)


@router.post("/receipts/{receipt_id}/void-cancel", response_model=ReceiptOut)
def cancel_void(
    receipt_id: int, body: VoidCancelIn, actor: Actor = Depends(require(Perm.COUNTER_VOID))
) -> ReceiptOut:
    """The void request withdrawn by the one who asked, or declined by the other of the pair."""
    return counter_voids.do_cancel_void(get_platform().uow(actor), receipt_id, body)


@router.get("/settlements", response_model=list[SettlementOut])
def list_settlements(
    actor: Actor = Depends(require(Perm.COUNTER_VIEW)), day: date | None = None
) -> list[SettlementOut]:
    """The drawers of a business day (today by default)."""
    return counter_queries.settlements(
        get_platform().uow(actor, readonly=True), day or clock.business_day()
    )


@router.post("/settlements", status_code=status.HTTP_201_CREATED, response_model=SettlementOut)
def count_drawer(
    body: DrawerCountIn, actor: Actor = Depends(require(Perm.COUNTER_SETTLE))
) -> SettlementOut:
    """日结: one cashier's drawer of a day, counted against his confirmed receipts."""
    return settlement.do_count_drawer(get_platform().uow(actor), body)


@router.post("/settlements/{settlement_id}/safe", response_model=SettlementOut)
def put_in_safe(
    settlement_id: int, body: SafeIn, actor: Actor = Depends(require(Perm.COUNTER_SETTLE))
) -> SettlementOut:
    return settlement.do_put_in_safe(get_platform().uow(actor), settlement_id, body)


@router.get("/deposits", response_model=list[DepositOut])
def list_deposits(
    actor: Actor = Depends(require(Perm.COUNTER_VIEW)), day: date | None = None
) -> list[DepositOut]:
    return counter_queries.deposits(get_platform().uow(actor, readonly=True), day)


@router.post("/deposits", status_code=status.HTTP_201_CREATED, response_model=DepositOut)
def record_deposit(
    body: DepositIn, actor: Actor = Depends(require(Perm.COUNTER_SETTLE))
) -> DepositOut:
    """解款: two named people of the hall; after the deadline it is late and alerted."""
    return settlement.do_record_deposit(get_platform().uow(actor), body)


@router.post("/deposits/{deposit_id}/slip", response_model=DepositOut)
async def upload_slip(
    deposit_id: int,
    slip: UploadFile = File(...),
    actor: Actor = Depends(require(Perm.COUNTER_SETTLE)),
) -> DepositOut:
    """The scanned slip: PDF, PNG or JPEG; stored once with its SHA-256."""
    content = await slip.read(get_counter_settings().slip_max_bytes + 1)
    return deposit_slips.do_upload_slip(get_platform().uow(actor), deposit_id, content)


@router.get("/deposits/{deposit_id}/slip")
def download_slip(deposit_id: int, actor: Actor = Depends(require(Perm.COUNTER_VIEW))) -> Response:
    slip = deposit_slips.read_slip(get_platform().uow(actor, readonly=True), deposit_id)
    return Response(
        slip.content,
        media_type=slip.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{slip.filename}"',
            "X-Content-SHA256": slip.sha256,
        },
    )


@router.get("/trace/receipts/{receipt_no}", response_model=TraceOut)
def trace_receipt(receipt_no: str, actor: Actor = Depends(require(Perm.COUNTER_TRACE))) -> TraceOut:
    """Receipt → cashier, checker, drawer, safe, deposit, depositors, voucher, slip hash."""
    return counter_trace.trace_receipt(
        get_platform().uow(actor, readonly=True), receipt_no=receipt_no
    )


@router.get("/trace/vouchers/{bank_voucher}", response_model=VoucherTraceOut)
def trace_voucher(
    bank_voucher: str, actor: Actor = Depends(require(Perm.COUNTER_TRACE))
) -> VoucherTraceOut:
    """Bank voucher → every receipt whose payment it covers."""
    if len(bank_voucher) > 64:
        raise ValidationProblem("银行凭证号过长 / voucher too long", field="bank_voucher")
    return counter_trace.trace_voucher(get_platform().uow(actor, readonly=True), bank_voucher)
