"""Counter and daily-cash API (PAY-1, PAY-2): parse → guard → service. No queries here."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import Response

from safegrid.apicontract import body_limits
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
from safegrid.security.api_access import (
    CounterCheck,
    CounterPay,
    CounterSettle,
    CounterTrace,
    CounterView,
    CounterVoid,
)

router = APIRouter(prefix="/api/counter", tags=["counter 柜台收费"])


@router.get("/accounts/{account_no}", response_model=AccountAtCounter)
def find_account(account_no: str, work: CounterPay) -> AccountAtCounter:
    """The account behind a 户号: open bills (oldest first), outstanding and credit."""
    return counter_queries.account_at_counter(work.read(), account_no)


@router.post("/payments", status_code=status.HTTP_201_CREATED, response_model=ReceiptOut)
def take_payment(body: PaymentIn, work: CounterPay) -> ReceiptOut:
    """收款: cash or card; the receipt number is the hall's next of the day."""
    return counter.do_record_payment(work.write(), body)


@router.get("/receipts", response_model=list[ReceiptOut])
def list_receipts(
    work: CounterView,
    day: date | None = None,
    receipt_status: ReceiptStatus | None = Query(None, alias="status"),
    hall_id: int | None = Query(None, gt=0),
    cashier_id: int | None = Query(None, gt=0),
) -> list[ReceiptOut]:
    return counter_queries.receipts(
        work.read(),
        day=day,
        status=receipt_status,
        hall_id=hall_id,
        cashier_id=cashier_id,
    )


@router.get("/receipts/{receipt_id}", response_model=ReceiptOut)
def read_receipt(receipt_id: int, work: CounterView) -> ReceiptOut:
    return counter_queries.receipt(work.read(), receipt_id)


@router.post("/receipts/{receipt_id}/confirm", response_model=ReceiptOut)
def confirm_receipt(receipt_id: int, body: ConfirmIn, work: CounterCheck) -> ReceiptOut:
    """复核: a checker of the hall (never its cashier) signs after counting the money."""
    return counter.do_confirm(work.write(), receipt_id, body)


@router.post("/receipts/{receipt_id}/void-request", response_model=ReceiptOut)
def request_void(receipt_id: int, body: VoidRequestIn, work: CounterVoid) -> ReceiptOut:
    """First signature of a void: the receipt's cashier or a checker of its hall."""
    return counter_voids.do_request_void(work.write(), receipt_id, body)


@router.post("/receipts/{receipt_id}/void-cosign", response_model=ReceiptOut)
def cosign_void(receipt_id: int, work: CounterVoid) -> ReceiptOut:
    """Second signature, by the other of cashier and checker: the payment is voided."""
    return counter_voids.do_cosign_void(work.write(), receipt_id)


@router.post("/receipts/{receipt_id}/void-cancel", response_model=ReceiptOut)
def cancel_void(receipt_id: int, body: VoidCancelIn, work: CounterVoid) -> ReceiptOut:
    """The void request withdrawn by the one who asked, or declined by the other of the pair."""
    return counter_voids.do_cancel_void(work.write(), receipt_id, body)


@router.get("/settlements", response_model=list[SettlementOut])
def list_settlements(work: CounterView, day: date | None = None) -> list[SettlementOut]:
    """The drawers of a business day (today by default)."""
    return counter_queries.settlements(work.read(), day or clock.business_day())


@router.post("/settlements", status_code=status.HTTP_201_CREATED, response_model=SettlementOut)
def count_drawer(body: DrawerCountIn, work: CounterSettle) -> SettlementOut:
    """日结: one cashier's drawer of a day, counted against his confirmed receipts."""
    return settlement.do_count_drawer(work.write(), body)


@router.post("/settlements/{settlement_id}/safe", response_model=SettlementOut)
def put_in_safe(settlement_id: int, body: SafeIn, work: CounterSettle) -> SettlementOut:
    return settlement.do_put_in_safe(work.write(), settlement_id, body)


@router.get("/deposits", response_model=list[DepositOut])
def list_deposits(work: CounterView, day: date | None = None) -> list[DepositOut]:
    return counter_queries.deposits(work.read(), day)


@router.post("/deposits", status_code=status.HTTP_201_CREATED, response_model=DepositOut)
def record_deposit(body: DepositIn, work: CounterSettle) -> DepositOut:
    """解款: two named people of the hall; after the deadline it is late and alerted."""
    return settlement.do_record_deposit(work.write(), body)


@router.post(
    "/deposits/{deposit_id}/slip",
    response_model=DepositOut,
    max_body_size=body_limits.SLIP_BODY_BYTES,
)
async def upload_slip(
    work: CounterSettle,
    deposit_id: int,
    slip: UploadFile = File(...),
) -> DepositOut:
    """The scanned slip: PDF, PNG or JPEG; stored once with its SHA-256."""
    content = await slip.read(get_counter_settings().slip_max_bytes + 1)
    return deposit_slips.do_upload_slip(work.write(), deposit_id, content)


@router.get("/deposits/{deposit_id}/slip")
def download_slip(deposit_id: int, work: CounterView) -> Response:
    slip = deposit_slips.read_slip(work.read(), deposit_id)
    return Response(
        slip.content,
        media_type=slip.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{slip.filename}"',
            "X-Content-SHA256": slip.sha256,
        },
    )


@router.get("/trace/receipts/{receipt_no}", response_model=TraceOut)
def trace_receipt(receipt_no: str, work: CounterTrace) -> TraceOut:
    """Receipt → cashier, checker, drawer, safe, deposit, depositors, voucher, slip hash."""
    return counter_trace.trace_receipt(work.read(), receipt_no=receipt_no)


@router.get("/trace/vouchers/{bank_voucher}", response_model=VoucherTraceOut)
def trace_voucher(bank_voucher: str, work: CounterTrace) -> VoucherTraceOut:
    """Bank voucher → every receipt whose payment it covers."""
    if len(bank_voucher) > 64:
        raise ValidationProblem("银行凭证号过长 / voucher too long", field="bank_voucher")
    return counter_trace.trace_voucher(work.read(), bank_voucher)
