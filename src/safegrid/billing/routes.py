"""Bill run and bill API: parse → guard → service. No queries here."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from safegrid.apicontract import input_bounds
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
from safegrid.platform.paging import Page, Paging
from safegrid.security.api_access import BillsReverse, BillsRun, BillsView

router = APIRouter(prefix="/api", tags=["billing 核算出账"])
PERIOD = input_bounds.PERIOD_PATTERN


@router.post("/billing/runs", status_code=status.HTTP_201_CREATED, response_model=BillRunOut)
def run_bills(body: RunRequest, work: BillsRun) -> BillRunOut:
    """Issue the period's bills for every account in your scope (the period must be closed).
    Idempotent: accounts already billed for the period are skipped."""
    return services.do_run_bills(work.write(), body.period, due_days=body.due_days)


@router.get("/billing/runs", response_model=Page[BillRunOut])
def list_runs(
    paging: Paging,
    work: BillsView,
    period: str | None = Query(None, pattern=PERIOD),
) -> Page[BillRunOut]:
    return queries.list_runs(work.read(), paging, period)


@router.get("/billing/runs/{run_id}", response_model=BillRunOut)
def read_run(run_id: int, work: BillsView) -> BillRunOut:
    return queries.get_run(work.read(), run_id)


@router.get("/bills", response_model=Page[BillOut])
def list_bills(
    paging: Paging,
    work: BillsView,
    account_id: int | None = Query(None, gt=0),
    period: str | None = Query(None, pattern=PERIOD),
    run_id: int | None = Query(None, gt=0),
) -> Page[BillOut]:
    return queries.list_bills(
        work.read(),
        paging,
        account_id=account_id,
        period=period,
        run_id=run_id,
    )


@router.get("/bills/{bill_id}", response_model=BillDetail)
def read_bill(bill_id: int, work: BillsView) -> BillDetail:
    """The bill with every line: tier or time band, kWh, price and exact amount."""
    return queries.get_bill(work.read(), bill_id)


@router.post(
    "/bills/{bill_id}/reverse", status_code=status.HTTP_201_CREATED, response_model=BillDetail
)
def reverse_bill(bill_id: int, body: ReverseRequest, work: BillsReverse) -> BillDetail:
    """Cancel an issued bill by a reversal bill; the next run of its period bills it again.
    Answers with the reversal bill."""
    reversal_id = services.do_reverse_bill(work.write(), bill_id, body.reason)
    return queries.get_bill(work.read(), reversal_id)


@router.post("/billing/reprices", response_model=RepriceOut)
def reprice_bills(body: RepriceRequest, work: BillsReverse) -> RepriceOut:
    """退补 (BILL-7): after a correction of ``from_period`` (e.g. a reading), price the
    accounts' billed months from it on again; each month whose charge changed is reversed
    and re-billed, and the account's next bill shows the differences line by line.
    Idempotent: a month that costs what was billed is left alone."""
    return reprice.do_reprice_bills(work.write(), body.accounts, body.from_period, body.reason)
