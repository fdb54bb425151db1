"""Payment ledger API: search and trace payments; refund requests and their approval.
Thin routes: parse → guard → service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from safegrid.bootstrap import get_platform
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
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api/payments", tags=["payments 缴费台账"])


@router.get("", response_model=Page[PaymentOut])
def search_payments(
    f: PaymentFilter = Depends(),
    paging: PageQuery = Depends(query_paging),
    actor: Actor = Depends(require(Perm.PAYMENTS_VIEW)),
) -> Page[PaymentOut]:
    """Payments by account, receipt, channel trade number, order, status, channel, day."""
    return search.search(get_platform().uow(actor, readonly=True), f, paging)


@router.get("/refunds", response_model=list[RefundOut])
def list_refunds(
    state: RefundStatus | None = Query(None, alias="status"),
    actor: Actor = Depends(require(Perm.PAYMENTS_VIEW)),
) -> list[RefundOut]:
    rows = refunds.list_requests(get_platform().uow(actor, readonly=True), state)
    return [RefundOut.model_validate(r) for r in rows]


@router.post("/refunds", response_model=RefundOut, status_code=status.HTTP_201_CREATED)
def request_refund(
    body: RefundIn, actor: Actor = Depends(require(Perm.REFUNDS_REQUEST))
) -> RefundOut:
    """Ask for a refund; the risk engine may hold it for review (status ``held``)."""
    ask = refunds.RefundAsk(body.payment_id, body.amount, body.reason)
    return RefundOut.model_validate(refunds.do_request_refund(get_platform().uow(actor), ask))


@router.post("/refunds/{refund_id}/decision", response_model=RefundOut)
def decide_refund(
    refund_id: int,
    body: RefundDecisionIn,
    actor: Actor = Depends(require(Perm.REFUNDS_APPROVE)),
) -> RefundOut:
    """Approve (executes the refund through the ledger) or reject; not one's own request."""
    row = refunds.do_decide_refund(
        get_platform().uow(actor), refund_id, approve=body.approve, note=body.note
    )
    return RefundOut.model_validate(row)


@router.get("/{payment_id}/trace", response_model=PaymentTrace)
def trace_payment(
    payment_id: int, actor: Actor = Depends(require(Perm.PAYMENTS_VIEW))
) -> PaymentTrace:
    """Where every yuan of a payment went: bills, credit, refunds, receipt, bank voucher."""
    return search.trace(get_platform().uow(actor, readonly=True), payment_id)
