"""Payment search and trace, refund requests and approvals (PAY-7, issue #5 items 5–6).

Views parse the form, call the services and redirect (PRG); service errors are rendered by
the app's error pages (403 approving one's own request, 404 out of scope, 409 held by the
risk engine, 422 naming the field).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import Response

from safegrid.payments.ledger import refunds, search
from safegrid.payments.ledger.models import PaymentChannel, PaymentStatus, RefundStatus
from safegrid.payments.ledger.schemas import PaymentFilter
from safegrid.payments.online.callbacks import queries as inbox_queries
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.keyset import Cursor
from safegrid.security.policy import Perm
from safegrid.web.i18n import N_
from safegrid.web.page_access import (
    PaymentsInboxManagePage,
    PaymentsViewPage,
    RefundsApprovePage,
    RefundsRequestPage,
)
from safegrid.web.page_cursor import page_cursor
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

DONE: Final[dict[str, str]] = {
    "requested": N_("The refund request has been submitted for approval."),
    "held": N_(
        "The refund request is held for risk review; it can be approved once the risk case is lifted."
    ),
    "decided": N_("Your decision has been recorded."),
}
INBOX_DONE: Final[dict[str, str]] = {
    "put_back": N_("The row is back with the applier; it will be applied within seconds."),
}
STATUS_LABELS: Final[dict[str, str]] = {
    "pending": N_("Waiting for approval"),
    "held": N_("Held for risk review"),
    "executed": N_("Refunded"),
    "rejected": N_("Rejected"),
    "captured": N_("Captured"),
    "refunded": N_("Refunded"),
    "reversed": N_("Reversed"),
    "voided": N_("Voided"),
}


E = TypeVar("E", PaymentStatus, PaymentChannel)
PAGE_SIZE: Final = 50
PaymentCursor = Annotated[Cursor, Depends(page_cursor(PAGE_SIZE))]


def _enum(cls: type[E], value: str, field: str) -> E | None:
    if not value:
        return None
    try:
        return cls(value)
    except ValueError:
        raise ValidationProblem("取值无效 / invalid value", field=field) from None


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationProblem("日期格式为 YYYY-MM-DD / date is YYYY-MM-DD", field=field) from None


@router.get("/payments")
def payment_search(
    request: Request,
    work: PaymentsViewPage,
    cursor: PaymentCursor,
    account_number: str = Query("", max_length=20),
    receipt_no: str = Query("", max_length=32),
    key: str = Query("", max_length=64),
    status: str = Query("", max_length=16),
    channel: str = Query("", max_length=24),
    date_from: str = Query("", max_length=10),
    date_to: str = Query("", max_length=10),
) -> Response:
    f = PaymentFilter(
        account_number=account_number or None,
        receipt_no=receipt_no or None,
        key=key or None,
        status=_enum(PaymentStatus, status, "status"),
        channel=_enum(PaymentChannel, channel, "channel"),
        date_from=_day(date_from, "date_from"),
        date_to=_day(date_to, "date_to"),
    )
    found = search.window(work.read(), f, cursor)
    # The filter as typed, for the pager's links to the other pages of the same search.
    typed = {
        "account_number": account_number,
        "receipt_no": receipt_no,
        "key": key,
        "status": status,
        "channel": channel,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(
        request,
        "payments/search.html",
        {
            "found": found,
            "params": {k: v for k, v in typed.items() if v}
            | ({} if cursor.size == PAGE_SIZE else {"size": cursor.size}),
            "f": f,
            "statuses": list(PaymentStatus),
            "channels": list(PaymentChannel),
            "labels": STATUS_LABELS,
        },
    )


@router.get("/payments/trace/{payment_id}")
def payment_trace(request: Request, payment_id: int, work: PaymentsViewPage) -> Response:
    trace = search.trace(work.read(), payment_id)
    return render(
        request,
        "payments/trace.html",
        {
            "t": trace,
            "labels": STATUS_LABELS,
            "can_request": work.actor.can(Perm.REFUNDS_REQUEST),
        },
    )


@router.get("/payments/refunds")
def refund_inbox(
    request: Request,
    work: PaymentsViewPage,
    done: str = Query("", max_length=16),
    payment_id: int | None = Query(None, ge=1),
) -> Response:
    rows = refunds.list_requests(work.read())
    return render(
        request,
        "payments/refunds.html",
        {
            "rows": rows,
            "me": work.actor.account_id,
            "labels": STATUS_LABELS,
            "can_request": work.actor.can(Perm.REFUNDS_REQUEST),
            "can_approve": work.actor.can(Perm.REFUNDS_APPROVE),
            "open": (RefundStatus.PENDING, RefundStatus.HELD),
            "payment_id": payment_id,
            "done": DONE.get(done),
        },
    )


@router.post("/payments/refunds")
def refund_request(
    request: Request,
    work: RefundsRequestPage,
    payment_id: Annotated[int, Form(gt=0)] = 0,
    amount: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise ValidationProblem("金额格式不正确 / amount is not a number", field="amount") from None
    row = refunds.do_request_refund(work.write(), refunds.RefundAsk(payment_id, value, reason))
    key = "held" if row.status == RefundStatus.HELD else "requested"
    return see_other(request, f"/payments/refunds?done={key}")


@router.post("/payments/refunds/{refund_id}/decision")
def refund_decision(
    request: Request,
    refund_id: int,
    work: RefundsApprovePage,
    approve: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    refunds.do_decide_refund(work.write(), refund_id, approve=approve == "yes", note=note)
    return see_other(request, "/payments/refunds?done=decided")


@router.get("/payments/inbox")
def callback_inbox(
    request: Request,
    work: PaymentsViewPage,
    done: str = Query("", max_length=16),
) -> Response:
    """Acknowledged channel callbacks: waiting for the ledger, and the rows that need a
    person (refused at apply time, failed repeatedly)."""
    view = inbox_queries.inbox_view(work.read())
    return render(
        request,
        "payments/inbox.html",
        {
            "v": view,
            "done": INBOX_DONE.get(done),
            "can_put_back": work.actor.can(Perm.PAYMENTS_INBOX_MANAGE),
        },
    )


@router.post("/payments/inbox/{inbox_id}/put-back")
def callback_inbox_put_back(
    request: Request,
    inbox_id: int,
    work: PaymentsInboxManagePage,
) -> Response:
    inbox_queries.do_put_back(work.write(), inbox_id)
    return see_other(request, "/payments/inbox?done=put_back")
