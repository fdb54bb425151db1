"""Collection and arrears API (BILL-5, BILL-6): parse → guard → service. No queries here."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, status

from safegrid.bootstrap import get_platform
from safegrid.collection import services
from safegrid.collection.models import WriteOffKind
from safegrid.collection.schemas import (
    PERIOD_PATTERN,
    ArrearsRow,
    BillCollectionOut,
    NoticeCreate,
    NoticeDecision,
    NoticeOut,
    PlanCreate,
    PlanOut,
    SummaryOut,
    WriteOffIn,
    WriteOffResult,
)
from safegrid.platform.paging import Page, Paging
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api/collection", tags=["collection 收费与欠费"])


@router.get("/summary", response_model=SummaryOut)
def collection_summary(
    actor: Actor = Depends(require(Perm.COLLECTION_VIEW)),
    period: str | None = Query(
        None, pattern=PERIOD_PATTERN, description="YYYY-MM (default: last month)"
    ),
    date_from: date | None = Query(None, description="bills issued from this day"),
    date_to: date | None = Query(None, description="bills issued up to this day"),
) -> SummaryOut:
    """Billed / collected / written off / outstanding per unit, rolled up the org tree,
    computed live from the write-offs."""
    return services.summary(get_platform().uow(actor, readonly=True), period, date_from, date_to)


@router.get("/arrears", response_model=Page[ArrearsRow])
def arrears(
    paging: Paging,
    actor: Actor = Depends(require(Perm.COLLECTION_VIEW)),
    account_id: int | None = Query(None, gt=0),
) -> Page[ArrearsRow]:
    return services.list_arrears(
        get_platform().uow(actor, readonly=True), paging, account_id=account_id
    )


@router.get("/bills/{bill_id}", response_model=BillCollectionOut)
def bill_collection(
    bill_id: int, actor: Actor = Depends(require(Perm.COLLECTION_VIEW))
) -> BillCollectionOut:
    return services.get_bill_collection(get_platform().uow(actor, readonly=True), bill_id)


@router.post(
    "/bills/{bill_id}/write-offs",
    status_code=status.HTTP_201_CREATED,
    response_model=WriteOffResult,
)
def write_off(
    bill_id: int, body: WriteOffIn, actor: Actor = Depends(require(Perm.COLLECTION_MANAGE))
) -> WriteOffResult:
    """A manual write-off (adjustment, or a payment taken outside the payment channels).
    Idempotent on ``reference``."""
    return services.do_write_off(
        get_platform().uow(actor), bill_id, body.amount, body.reference, WriteOffKind(body.kind)
    )


@router.post("/instalment-plans", status_code=status.HTTP_201_CREATED, response_model=PlanOut)
def create_plan(
    body: PlanCreate, actor: Actor = Depends(require(Perm.COLLECTION_MANAGE))
) -> PlanOut:
    platform = get_platform()
    plan_id = services.do_create_plan(platform.uow(actor), body)
    return services.get_plan(platform.uow(actor, readonly=True), plan_id)


@router.get("/instalment-plans/{plan_id}", response_model=PlanOut)
def read_plan(plan_id: int, actor: Actor = Depends(require(Perm.COLLECTION_VIEW))) -> PlanOut:
    return services.get_plan(get_platform().uow(actor, readonly=True), plan_id)


@router.get("/notices", response_model=list[NoticeOut])
def notices(
    actor: Actor = Depends(require(Perm.COLLECTION_VIEW)),
    status_: str | None = Query(None, alias="status", max_length=16),
) -> list[NoticeOut]:
    return services.list_notices(get_platform().uow(actor, readonly=True), status_)


@router.post("/notices", status_code=status.HTTP_201_CREATED, response_model=NoticeOut)
def create_notice(
    body: NoticeCreate, actor: Actor = Depends(require(Perm.COLLECTION_MANAGE))
) -> NoticeOut:
    return services.do_create_notice(get_platform().uow(actor), body)


@router.post("/notices/{notice_id}/decision", response_model=NoticeOut)
def decide_notice(
    notice_id: int, body: NoticeDecision, actor: Actor = Depends(require(Perm.ARREARS_APPROVE))
) -> NoticeOut:
    """Approve (serve) or reject a notice. Its creator may not decide it."""
    return services.do_decide_notice(get_platform().uow(actor), notice_id, body)


@router.post("/notices/{notice_id}/execute", response_model=NoticeOut)
def execute_notice(
    notice_id: int, actor: Actor = Depends(require(Perm.COLLECTION_MANAGE))
) -> NoticeOut:
    """Mark the supply disconnected: only after the notice period, only while in arrears."""
    return services.do_execute_notice(get_platform().uow(actor), notice_id)
