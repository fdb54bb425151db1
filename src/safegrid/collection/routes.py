"""Collection and arrears API (BILL-5, BILL-6): parse → guard → service. No queries here."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, status

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
from safegrid.security.api_access import ArrearsApprove, CollectionManage, CollectionView

router = APIRouter(prefix="/api/collection", tags=["collection 收费与欠费"])


@router.get("/summary", response_model=SummaryOut)
def collection_summary(
    work: CollectionView,
    period: str | None = Query(
        None, pattern=PERIOD_PATTERN, description="YYYY-MM (default: last month)"
    ),
    date_from: date | None = Query(None, description="bills issued from this day"),
    date_to: date | None = Query(None, description="bills issued up to this day"),
) -> SummaryOut:
    """Billed / collected / written off / outstanding per unit, rolled up the org tree,
    computed live from the write-offs."""
    return services.summary(work.read(), period, date_from, date_to)


@router.get("/arrears", response_model=Page[ArrearsRow])
def arrears(
    paging: Paging,
    work: CollectionView,
    account_id: int | None = Query(None, gt=0),
) -> Page[ArrearsRow]:
    return services.list_arrears(work.read(), paging, account_id=account_id)


@router.get("/bills/{bill_id}", response_model=BillCollectionOut)
def bill_collection(bill_id: int, work: CollectionView) -> BillCollectionOut:
    return services.get_bill_collection(work.read(), bill_id)


@router.post(
    "/bills/{bill_id}/write-offs",
    status_code=status.HTTP_201_CREATED,
    response_model=WriteOffResult,
)
def write_off(bill_id: int, body: WriteOffIn, work: CollectionManage) -> WriteOffResult:
    """A manual write-off (adjustment, or a payment taken outside the payment channels).
    Idempotent on ``reference``."""
    return services.do_write_off(
        work.write(), bill_id, body.amount, body.reference, WriteOffKind(body.kind)
    )


@router.post("/instalment-plans", status_code=status.HTTP_201_CREATED, response_model=PlanOut)
def create_plan(body: PlanCreate, work: CollectionManage) -> PlanOut:
    plan_id = services.do_create_plan(work.write(), body)
    return services.get_plan(work.read(), plan_id)


@router.get("/instalment-plans/{plan_id}", response_model=PlanOut)
def read_plan(plan_id: int, work: CollectionView) -> PlanOut:
    return services.get_plan(work.read(), plan_id)


@router.get("/notices", response_model=list[NoticeOut])
def notices(
    work: CollectionView,
    status_: str | None = Query(None, alias="status", max_length=16),
) -> list[NoticeOut]:
    return services.list_notices(work.read(), status_)


@router.post("/notices", status_code=status.HTTP_201_CREATED, response_model=NoticeOut)
def create_notice(body: NoticeCreate, work: CollectionManage) -> NoticeOut:
    return services.do_create_notice(work.write(), body)


@router.post("/notices/{notice_id}/decision", response_model=NoticeOut)
def decide_notice(notice_id: int, body: NoticeDecision, work: ArrearsApprove) -> NoticeOut:
    """Approve (serve) or reject a notice. Its creator may not decide it."""
    return services.do_decide_notice(work.write(), notice_id, body)


@router.post("/notices/{notice_id}/execute", response_model=NoticeOut)
def execute_notice(notice_id: int, work: CollectionManage) -> NoticeOut:
    """Mark the supply disconnected: only after the notice period, only while in arrears."""
    return services.do_execute_notice(work.write(), notice_id)
