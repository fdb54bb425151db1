"""Daily cash console (PAY-2): each cashier's drawer counted against his receipts, the cash
sealed into the safe, the bank deposit by two named people with its voucher and the
scanned slip; and the trace of a receipt or a bank voucher (any yuan, both ways)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import Response

from safegrid.apicontract import body_limits
from safegrid.payments.counter import deposit_slips, receipts, settlement, shortages
from safegrid.payments.counter import queries as counter_queries
from safegrid.payments.counter import trace as counter_trace
from safegrid.payments.counter.models import ReceiptStatus
from safegrid.payments.counter.schemas import (
    DepositIn,
    DrawerCountIn,
    SafeIn,
    TraceOut,
    VoucherTraceOut,
)
from safegrid.payments.counter.settings import get_counter_settings
from safegrid.platform import clock
from safegrid.platform.clock import BUSINESS_TZ
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.web.i18n import N_
from safegrid.web.page_access import CounterSettlePage, CounterTracePage, CounterViewPage
from safegrid.web.payments.counter import money
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
_S = "/counter/settlement"

DONE: Final[dict[str, str]] = {
    "counted": N_("The drawer is settled; the difference is recorded."),
    "safe": N_("The cash is recorded as sealed in the safe."),
    "deposited": N_("The deposit is recorded; its voucher is linked to every payment."),
    "slip": N_("The scanned slip is stored with its SHA-256 hash."),
}


def _day(value: str, field: str = "business_day") -> date:
    try:
        return date.fromisoformat(value) if value else clock.business_day()
    except ValueError:
        raise ValidationProblem(
            "日期格式应为 YYYY-MM-DD / a date looks like YYYY-MM-DD", field=field
        ) from None


def _int(value: str, field: str) -> int:
    if not value.strip().isdigit():
        raise ValidationProblem("请选择 / choose one", field=field)
    return int(value)


@router.get(_S)
def settlement_page(
    request: Request,
    work: CounterSettlePage,
    day: str = Query("", max_length=10),
    done: str = Query("", max_length=16),
) -> Response:
    the_day = _day(day, "day")
    halls = counter_queries.my_halls(work.read())
    hall_ids = [h.id for h in halls]
    rows = [
        r
        for r in counter_queries.receipts(work.read(), day=the_day)
        if r.hall_id in hall_ids and r.status != ReceiptStatus.VOIDED
    ]
    by_cashier: dict[int, dict[str, object]] = {}
    for r in rows:
        entry = by_cashier.setdefault(
            r.cashier_id, {"name": r.cashier_name, "count": 0, "waiting": 0, "open": 0}
        )
        entry["count"] = int(str(entry["count"])) + 1
        entry["waiting"] = int(str(entry["waiting"])) + (r.status != ReceiptStatus.CONFIRMED)
        entry["open"] = int(str(entry["open"])) + (r.settlement_id is None)
    staff = counter_queries.hall_staff_choices(work.read(), halls[0].id) if halls else []
    return render(
        request,
        "payments/counter_settlement.html",
        {
            "day": the_day,
            "halls": halls,
            "by_cashier": by_cashier,
            "settlements": [
                s
                for s in counter_queries.settlements(work.read(), the_day)
                if s.hall_id in hall_ids
            ],
            "differences": [
                d for d in shortages.listed(work.read(), day=the_day) if d.hall_id in hall_ids
            ],
            "deposits": [
                d for d in counter_queries.deposits(work.read(), the_day) if d.hall_id in hall_ids
            ],
            "staff": staff,
            "deadline": settlement.deadline_for(the_day),
            "max_mb": get_counter_settings().slip_max_bytes // (1024 * 1024),
            "done": DONE.get(done),
        },
    )


@router.post(f"{_S}/drawers")
def count_drawer(
    request: Request,
    work: CounterSettlePage,
    cashier_id: Annotated[str, Form(max_length=12)] = "",
    business_day: Annotated[str, Form(max_length=10)] = "",
    counted_cash: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    data = DrawerCountIn(
        cashier_id=_int(cashier_id, "cashier_id"),
        business_day=_day(business_day),
        counted_cash=money(counted_cash, "counted_cash"),
        note=note or None,
    )
    s = settlement.do_count_drawer(work.write(), data)
    return see_other(request, f"{_S}?day={s.business_day}&done=counted")


@router.post(f"{_S}/drawers/{{settlement_id}}/safe")
def put_in_safe(
    request: Request,
    settlement_id: int,
    work: CounterSettlePage,
    bag_no: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    if not bag_no.strip():
        raise ValidationProblem("须填写封包号 / give the sealed bag's number", field="bag_no")
    s = settlement.do_put_in_safe(work.write(), settlement_id, SafeIn(bag_no=bag_no))
    return see_other(request, f"{_S}?day={s.business_day}&done=safe")


@router.post(f"{_S}/deposits")
def record_deposit(
    request: Request,
    work: CounterSettlePage,
    business_day: Annotated[str, Form(max_length=10)] = "",
    bank_voucher: Annotated[str, Form(max_length=64)] = "",
    depositor_a_id: Annotated[str, Form(max_length=12)] = "",
    depositor_b_id: Annotated[str, Form(max_length=12)] = "",
    deposited_at: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    at: datetime | None = None
    if deposited_at.strip():
        try:  # the browser's datetime-local: Beijing wall time
            at = datetime.fromisoformat(deposited_at.strip()).replace(tzinfo=BUSINESS_TZ)
        except ValueError:
            raise ValidationProblem(
                "时间格式无效 / not a valid time", field="deposited_at"
            ) from None
    voucher = bank_voucher.strip()
    if len(voucher) < 4 or not all(ch.isalnum() or ch == "-" for ch in voucher):
        raise ValidationProblem(
            "银行凭证号为4位以上字母数字 / the bank voucher is 4+ letters, digits or dashes",
            field="bank_voucher",
        )
    data = DepositIn(
        business_day=_day(business_day),
        bank_voucher=voucher,
        depositor_a_id=_int(depositor_a_id, "depositor_a_id"),
        depositor_b_id=_int(depositor_b_id, "depositor_b_id"),
        deposited_at=at,
    )
    d = settlement.do_record_deposit(work.write(), data)
    return see_other(request, f"{_S}?day={d.business_day}&done=deposited")


@router.post(f"{_S}/deposits/{{deposit_id}}/slip", max_body_size=body_limits.SLIP_BODY_BYTES)
async def upload_slip(
    work: CounterSettlePage,
    request: Request,
    deposit_id: int,
    slip: UploadFile = File(...),
) -> Response:
    content = await slip.read(get_counter_settings().slip_max_bytes + 1)
    d = deposit_slips.do_upload_slip(work.write(), deposit_id, content)
    return see_other(request, f"{_S}?day={d.business_day}&done=slip")


@router.get(f"{_S}/deposits/{{deposit_id}}/slip")
def download_slip(deposit_id: int, work: CounterViewPage) -> Response:
    slip = deposit_slips.read_slip(work.read(), deposit_id)
    return Response(
        slip.content,
        media_type=slip.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{slip.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/counter/trace")
def trace_page(
    request: Request,
    work: CounterTracePage,
    q: str = Query("", max_length=64),
) -> Response:
    """One box: a receipt number traces forward, anything else is taken as a voucher."""
    forward: TraceOut | None = None
    backward: VoucherTraceOut | None = None
    missing = False
    text = q.strip()
    if text:
        try:
            if receipts.RECEIPT_NO.match(text.upper()):
                forward = counter_trace.trace_receipt(work.read(), receipt_no=text)
            else:
                backward = counter_trace.trace_voucher(work.read(), text)
        except NotFoundError:
            missing = True
    return render(
        request,
        "payments/counter_trace.html",
        {"q": text, "forward": forward, "backward": backward, "missing": missing},
    )
