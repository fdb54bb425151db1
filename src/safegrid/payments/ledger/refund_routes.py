"""Payment ledger API: search and trace payments; refund requests and their approval.
Thin routes: parse → guard → service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from safegrid.payments.ledger import refunds, search
from safegrid.payments.ledger.models import RefundStatus
from safegrid.payments.ledger.schemas import (
    PaymentFilter,
    PaymentOut,
    PaymentTrace,
    RefundDecisionIn,
    RefundIn,
    RefundOut,
)
from safegrid.platform.paging import Page, PageQuery, query_paging
from safegrid.security.api_access import PaymentsView, RefundsApprove, RefundsRequest

router = APIRouter(prefix="/api/payments", tags=["payments 缴费台账"])


@router.get("", response_model=Page[PaymentOut])
def search_payments(
    work: PaymentsView,
    f: PaymentFilter = Depends(),
    paging: PageQuery = Depends(query_paging),
) -> Page[PaymentOut]:
    """Payments by account, receipt, channel trade number, order, status, channel, day."""
    return search.search(work.read(), f, paging)


@router.get("/refunds", response_model=list[RefundOut])
def list_refunds(
    work: PaymentsView,
    state: RefundStatus | None = Query(None, alias="status"),
) -> list[RefundOut]:
    rows = refunds.list_requests(work.read(), state)
    return [RefundOut.model_validate(r) for r in rows]


@router.post("/refunds", response_model=RefundOut, status_code=status.HTTP_201_CREATED)
def request_refund(body: RefundIn, work: RefundsRequest) -> RefundOut:
    """Ask for a refund; the risk engine may hold it for review (status ``held``)."""
    ask = refunds.RefundAsk(body.payment_id, body.amount, body.reason)
    return RefundOut.model_validate(refunds.do_request_refund(work.write(), ask))


@router.post("/refunds/{refund_id}/decision", response_model=RefundOut)
def decide_refund(
    refund_id: int,
    body: RefundDecisionIn,
    work: RefundsApprove,
) -> RefundOut:
    """Approve (executes the refund through the ledger) or reject; not one's own request."""
    row = refunds.do_decide_refund(work.write(), refund_id, approve=body.approve, note=body.note)
    return RefundOut.model_validate(row)


@router.get("/{payment_id}/trace", response_model=PaymentTrace)
def trace_payment(payment_id: int, work: PaymentsView) -> PaymentTrace:
    """Where every yuan of a payment went: bills, credit, refunds, receipt, bank voucher."""
    return search.trace(work.read(), payment_id)
