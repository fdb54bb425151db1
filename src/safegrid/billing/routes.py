"""Bill run and bill API: parse → guard → service. No queries here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from safegrid.billing import queries, reprice, services
from safegrid.billing.schemas import (
    BillDetail,
    BillOut,
    BillRunOut,
    RepriceOut,
    RepriceRequest,
    ReverseRequest,
    RunRequest,
)
from safegrid.bootstrap import get_platform
from safegrid.platform.paging import Page, Paging
from safegrid.security.actor import Actor
from safegrid.security.guards import require
from safegrid.security.policy import Perm

router = APIRouter(prefix="/api", tags=["billing 核算出账"])
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


@router.post("/billing/runs", status_code=status.HTTP_201_CREATED, response_model=BillRunOut)
def run_bills(body: RunRequest, actor: Actor = Depends(require(Perm.BILLS_RUN))) -> BillRunOut:
    """Issue the period's bills for every account in your scope (the period must be closed).
    Idempotent: accounts already billed for the period are skipped."""
    return services.do_run_bills(get_platform().uow(actor), body.period, due_days=body.due_days)


@router.get("/billing/runs", response_model=Page[BillRunOut])
def list_runs(
    paging: Paging,
    actor: Actor = Depends(require(Perm.BILLS_VIEW)),
    period: str | None = Query(None, pattern=PERIOD),
) -> Page[BillRunOut]:
    return queries.list_runs(get_platform().uow(actor, readonly=True), paging, period)


@router.get("/billing/runs/{run_id}", response_model=BillRunOut)
def read_run(run_id: int, actor: Actor = Depends(require(Perm.BILLS_VIEW))) -> BillRunOut:
    return queries.get_run(get_platform().uow(actor, readonly=True), run_id)


@router.get("/bills", response_model=Page[BillOut])
def list_bills(
    paging: Paging,
    actor: Actor = Depends(require(Perm.BILLS_VIEW)),
    account_id: int | None = Query(None, gt=0),
    period: str | None = Query(None, pattern=PERIOD),
    run_id: int | None = Query(None, gt=0),
) -> Page[BillOut]:
    return queries.list_bills(
        get_platform().uow(actor, readonly=True),
        paging,
        account_id=account_id,
        period=period,
        run_id=run_id,
    )


@router.get("/bills/{bill_id}", response_model=BillDetail)
def read_bill(bill_id: int, actor: Actor = Depends(require(Perm.BILLS_VIEW))) -> BillDetail:
    """The bill with every line: tier or time band, kWh, price and exact amount."""
    return queries.get_bill(get_platform().uow(actor, readonly=True), bill_id)


@router.post(
    "/bills/{bill_id}/reverse", status_code=status.HTTP_201_CREATED, response_model=BillDetail
)
def reverse_bill(
    bill_id: int, body: ReverseRequest, actor: Actor = Depends(require(Perm.BILLS_REVERSE))
) -> BillDetail:
    """Cancel an issued bill by a reversal bill; the next run of its period bills it again.
    Answers with the reversal bill."""
    platform = get_platform()
    reversal_id = services.do_reverse_bill(platform.uow(actor), bill_id, body.reason)
    return queries.get_bill(platform.uow(actor, readonly=True), reversal_id)


@router.post("/billing/reprices", response_model=RepriceOut)
def reprice_bills(
    body: RepriceRequest, actor: Actor = Depends(require(Perm.BILLS_REVERSE))
) -> RepriceOut:
    """退补 (BILL-7): after a correction of ``from_period`` (e.g. a reading), price the
    accounts' billed months from it on again; each month whose charge changed is reversed
    and re-billed, and the account's next bill shows the differences line by line.
    Idempotent: a month that costs what was billed is left alone."""
    return reprice.do_reprice_bills(
        get_platform().uow(actor), body.accounts, body.from_period, body.reason
    )
