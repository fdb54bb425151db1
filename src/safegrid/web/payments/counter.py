"""Counter console (PAY-1): the cashier's screen (find an account by 户号, see what it owes,
take the money, print the receipt) and the checker's screen (confirm each receipt of his
hall against the cash, co-sign voids). The daily settlement and the trace are in
``web.payments.settlement``.

Views parse the form, call the services and redirect (PRG); service errors are rendered by
the app's error pages (403 the checker is the cashier, 404 out of scope, 422 bad amount…).
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.governance.permchange import staff_labels
from safegrid.payments.counter import queries as counter_queries
from safegrid.payments.counter import services as counter
from safegrid.payments.counter import shortages
from safegrid.payments.counter import voids as counter_voids
from safegrid.payments.counter.models import CounterMethod, ReceiptStatus
from safegrid.payments.counter.schemas import (
    AccountAtCounter,
    ConfirmIn,
    PaymentIn,
    VoidCancelIn,
    VoidRequestIn,
)
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError, ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import (
    CounterCheckPage,
    CounterPayPage,
    CounterViewPage,
    CounterVoidPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
RECEIPTS_PER_PAGE: Final = 50

DONE: Final[dict[str, str]] = {
    "confirmed": N_("The receipt is confirmed and signed by both of you."),
    "void_asked": N_("The void is asked for; the other of cashier and checker must co-sign it."),
    "voided": N_("The receipt is voided; the payment has been taken back."),
    "void_cancelled": N_("The void request is closed; the receipt stands as before."),
    "acknowledged": N_("You have acknowledged the cash difference."),
}


def money(value: str, field: str) -> Decimal:
    """A yuan amount typed into a form: digits and at most two decimals."""
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationProblem("请输入金额 / enter an amount in yuan", field=field) from None
    if not amount.is_finite():
        raise ValidationProblem("请输入金额 / enter an amount in yuan", field=field)
    return amount


@router.get("/counter/desk")
def desk(
    request: Request,
    work: CounterPayPage,
    account_no: str = Query("", max_length=20),
    done: str = Query("", max_length=16),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    found: AccountAtCounter | None = None
    missing = False
    if account_no.strip():
        try:
            found = counter_queries.account_at_counter(work.read(), account_no)
        except NotFoundError:
            missing = True
    mine = counter_queries.receipt_page(
        work.read(),
        PageQuery(page=page, size=RECEIPTS_PER_PAGE),
        day=clock.business_day(),
        cashier_id=work.actor.account_id or 0,
    )
    return render(
        request,
        "payments/counter_desk.html",
        {
            "account_no": account_no.strip(),
            "found": found,
            "missing": missing,
            "halls": counter_queries.my_halls(work.read()),
            "request_key": uuid.uuid4().hex,
            "mine": mine.page,
            "params": {"account_no": account_no.strip()} if account_no.strip() else {},
            # 长短款 the checkers found on my receipts, waiting for my signature.
            "differences": shortages.listed(
                work.read(), cashier_id=work.actor.account_id or 0, open_only=True
            ),
            "done": DONE.get(done),
            "today_total": mine.total_amount,
        },
    )


@router.post("/counter/desk/payments")
def take_payment(
    request: Request,
    work: CounterPayPage,
    account_no: Annotated[str, Form(max_length=20)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    method: Annotated[str, Form(max_length=8)] = "cash",
    bill_id: Annotated[str, Form(max_length=12)] = "",
    card_voucher: Annotated[str, Form(max_length=64)] = "",
    request_key: Annotated[str, Form(max_length=48)] = "",
    hall_id: Annotated[str, Form(max_length=12)] = "",
    tendered: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        chosen = CounterMethod(method)
    except ValueError:
        raise ValidationProblem("请选择收款方式 / choose cash or card", field="method") from None
    data = PaymentIn(
        account_no=account_no or "-",
        amount=money(amount, "amount"),
        method=chosen,
        request_key=request_key if len(request_key) >= 8 else uuid.uuid4().hex,
        bill_id=int(bill_id) if bill_id.isdigit() else None,
        card_voucher=card_voucher.strip() or None,
        hall_id=int(hall_id) if hall_id.isdigit() else None,
        tendered=money(tendered, "tendered") if tendered.strip() else None,
    )
    receipt = counter.do_record_payment(work.write(), data)
    return see_other(request, f"/counter/receipts/{receipt.id}")


@router.get("/counter/receipts/{receipt_id}")
def receipt_page(
    request: Request,
    receipt_id: int,
    work: CounterViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    receipt = counter_queries.receipt(work.read(), receipt_id)
    halls = {h.id: h for h in counter_queries.my_halls(work.read())}
    # Real names on the receipt (issue 13): "real name（username）" of both signatories.
    signers = {receipt.cashier_id} | ({receipt.checker_id} if receipt.checker_id else set())
    return render(
        request,
        "payments/counter_receipt.html",
        {
            "r": receipt,
            "names": staff_labels(work.read(), signers),
            "hall": halls.get(receipt.hall_id),
            "me": work.actor.account_id,
            "can_void": work.actor.can(Perm.COUNTER_VOID),
            "done": DONE.get(done),
        },
    )


def _check_screen(
    request: Request,
    work: CounterCheckPage,
    done: str = "",
    failed: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    halls = counter_queries.my_halls(work.read())
    hall_ids = [h.id for h in halls]
    waiting = [
        r
        for status in (ReceiptStatus.RECORDED, ReceiptStatus.VOID_REQUESTED)
        for r in counter_queries.receipts(work.read(), status=status)
        if r.hall_id in hall_ids
    ]
    return render(
        request,
        "payments/counter_check.html",
        {
            "to_confirm": [r for r in waiting if r.status == ReceiptStatus.RECORDED],
            "to_cosign": [r for r in waiting if r.status == ReceiptStatus.VOID_REQUESTED],
            "halls": halls,
            "me": work.actor.account_id,
            "done": DONE.get(done),
            # The row whose count was refused keeps its figure and its message (长短款).
            "failed": failed or {},
        },
        status_code=status_code,
    )


@router.get("/counter/check")
def check_screen(
    request: Request,
    work: CounterCheckPage,
    done: str = Query("", max_length=16),
) -> Response:
    return _check_screen(request, work, done)


@router.post("/counter/receipts/{receipt_id}/confirm")
def confirm(
    request: Request,
    receipt_id: int,
    work: CounterCheckPage,
    counted: Annotated[str, Form(max_length=20)] = "",
    record_difference: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    def again(errors: FieldErrors, status: int) -> Response:
        failed = {"id": receipt_id, "counted": counted, "errors": errors}
        return _check_screen(request, work, failed=failed, status_code=status)

    return submit(
        request,
        ConfirmIn,
        {
            "counted": counted.strip().replace(",", "") or None,
            "record_difference": bool(record_difference),
        },
        ("counted",),
        lambda data: counter.do_confirm(work.write(), receipt_id, data),
        done=lambda _r: see_other(request, "/counter/check?done=confirmed"),
        again=again,
    )


@router.post("/counter/discrepancies/{discrepancy_id}/acknowledge")
def acknowledge_difference(
    request: Request,
    discrepancy_id: int,
    work: CounterPayPage,
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    shortages.do_acknowledge(work.write(), discrepancy_id, note)
    return see_other(request, "/counter/desk?done=acknowledged")


@router.post("/counter/receipts/{receipt_id}/void-request")
def void_request(
    request: Request,
    receipt_id: int,
    work: CounterVoidPage,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if len(reason.strip()) < 2:
        raise ValidationProblem("须填写作废原因 / give the reason for the void", field="reason")
    counter_voids.do_request_void(work.write(), receipt_id, VoidRequestIn(reason=reason))
    return see_other(request, f"/counter/receipts/{receipt_id}?done=void_asked")


@router.post("/counter/receipts/{receipt_id}/void-cosign")
def void_cosign(
    request: Request,
    receipt_id: int,
    work: CounterVoidPage,
) -> Response:
    counter_voids.do_cosign_void(work.write(), receipt_id)
    return see_other(request, f"/counter/receipts/{receipt_id}?done=voided")


@router.post("/counter/receipts/{receipt_id}/void-cancel")
def void_cancel(
    request: Request,
    receipt_id: int,
    work: CounterVoidPage,
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    counter_voids.do_cancel_void(work.write(), receipt_id, VoidCancelIn(note=note))
    return see_other(request, f"/counter/receipts/{receipt_id}?done=void_cancelled")
