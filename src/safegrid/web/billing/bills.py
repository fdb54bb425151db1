"""Bill run, bill list and bill explanation pages (BILL-4).

A run started from the page works in the background while htmx polls its progress; the
same form without JavaScript runs it in the request and lands on the run's page.
Out-of-scope bills and runs raise NotFoundError in the services: the 404 page (ORG-2).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import Response

from safegrid.apicontract import input_bounds
from safegrid.billing import background, queries, reprice, services
from safegrid.billing.schemas import DEFAULT_DUE_DAYS
from safegrid.bootstrap import get_platform
from safegrid.platform.errors import ConflictError, ValidationProblem
from safegrid.platform.keyset import Cursor
from safegrid.platform.paging import PageQuery
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web import flash
from safegrid.web.billing.explanation import adjustment_total, exact_text, explain, kwh_text
from safegrid.web.i18n import localize_message, request_locale
from safegrid.web.page_access import BillsReversePage, BillsRunPage, BillsViewPage
from safegrid.web.page_cursor import page_cursor
from safegrid.web.redirects import is_htmx
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 20
PERIOD = f"^({input_bounds.PERIOD_PATTERN[1:-1]})?$"  # empty: every period
BillCursor = Annotated[Cursor, Depends(page_cursor(PAGE_SIZE))]


def _billing_page(
    request: Request, work: Work, error: str | None = None, status_code: int = 200
) -> Response:
    platform = get_platform()
    periods = queries.period_overview(work.read())
    runs = queries.list_runs(work.read(), PageQuery(page=1, size=10))
    return render(
        request,
        "billing/runs.html",
        {
            "periods": periods,
            "closed": [p.period for p in periods if p.closed],
            "runs": runs,
            "can_run": work.actor.can(Perm.BILLS_RUN),
            "tracker": background.current(platform, work.actor),
            "due_days": DEFAULT_DUE_DAYS,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/billing")
def billing_home(request: Request, work: BillsViewPage) -> Response:
    return _billing_page(request, work)


@router.post("/billing/runs")
def billing_run(
    request: Request,
    work: BillsRunPage,
    period: Annotated[str, Form(max_length=16)] = "",
    due_days: Annotated[int, Form(ge=1, le=90)] = DEFAULT_DUE_DAYS,
) -> Response:
    platform = get_platform()
    try:
        period = services.check_runnable(work.read(), period)
        if not is_htmx(request):
            run = services.do_run_bills(work.write(), period, due_days=due_days)
            return flash.redirect(request, f"/billing/runs/{run.id}", "bill_run_done")
    except ValidationProblem as exc:
        message = localize_message(exc.message, request_locale(request))
        if is_htmx(request):  # htmx swaps only 2xx answers: the error goes in the box
            return render(
                request, "billing/_progress.html", {"tracker": None, "run_error": message}
            )
        return _billing_page(request, work, message, 422)
    tracker = background.start(platform, work.actor, period, due_days)
    return render(request, "billing/_progress.html", {"tracker": tracker, "run_error": None})


@router.get("/billing/runs/progress")
def billing_run_progress(request: Request, work: BillsRunPage) -> Response:
    return render(
        request,
        "billing/_progress.html",
        {"tracker": background.current(get_platform(), work.actor), "run_error": None},
    )


@router.get("/billing/runs/{run_id}")
def billing_run_detail(
    request: Request, run_id: int, work: BillsViewPage, cursor: BillCursor
) -> Response:
    run = queries.get_run(work.read(), run_id)
    bills = queries.bill_window(work.read(), cursor, run_id=run_id)
    params = _sized(cursor, {})
    return render(request, "billing/run.html", {"run": run, "result": bills, "params": params})


def _sized(cursor: Cursor, params: dict[str, object]) -> dict[str, object]:
    """The list's own parameters for its pager's links, with a size other than the default."""
    return params if cursor.size == PAGE_SIZE else {**params, "size": cursor.size}


@router.get("/bills")
def bill_list(
    request: Request,
    work: BillsViewPage,
    cursor: BillCursor,
    account_id: int | None = Query(None, gt=0),
    period: str = Query("", pattern=PERIOD),
) -> Response:
    result = queries.bill_window(work.read(), cursor, account_id=account_id, period=period or None)
    params: dict[str, object] = {"period": period} if period else {}
    if account_id is not None:
        params["account_id"] = account_id
    params = _sized(cursor, params)
    return render(
        request,
        "billing/bills.html",
        {"result": result, "params": params, "period": period, "account_id": account_id},
    )


def _half(text: str, locale: str) -> str:
    """Stored line descriptions are "中文 / English": each reader gets one language."""
    zh, sep, en = text.partition(" / ")
    return en if locale == "en" and sep else zh


def _bill_page(
    request: Request, work: Work, bill_id: int, error: str | None = None, status_code: int = 200
) -> Response:
    bill = queries.get_bill(work.read(), bill_id)
    locale = request_locale(request)
    return render(
        request,
        "billing/bill.html",
        {
            "bill": bill,
            "explanation": explain(bill),
            "adjustment_total": adjustment_total(bill),
            "can_reverse": work.actor.can(Perm.BILLS_REVERSE),
            "can_see_collection": work.actor.can(Perm.COLLECTION_VIEW),
            "error": error,
            "kwh": kwh_text,
            "exact": exact_text,
            "half": lambda text: _half(text, locale),
        },
        status_code=status_code,
    )


@router.get("/bills/{bill_id}")
def bill_detail(request: Request, bill_id: int, work: BillsViewPage) -> Response:
    return _bill_page(request, work, bill_id)


@router.post("/bills/{bill_id}/reverse")
def bill_reverse(
    request: Request,
    bill_id: int,
    work: BillsReversePage,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        reversal_id = services.do_reverse_bill(work.write(), bill_id, reason)
    except (ValidationProblem, ConflictError) as exc:
        message = localize_message(exc.message, request_locale(request))
        return _bill_page(request, work, bill_id, message, exc.status_code)
    return flash.redirect(request, f"/bills/{reversal_id}", "bill_reversed")


@router.post("/bills/{bill_id}/reprice")
def bill_reprice(
    request: Request,
    bill_id: int,
    work: BillsReversePage,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """退补 (BILL-7) from this bill's month on, for this bill's account."""
    bill = queries.get_bill(work.read(), bill_id)
    try:
        result = reprice.do_reprice_bills(work.write(), [bill.account_number], bill.period, reason)
    except (ValidationProblem, ConflictError) as exc:
        message = localize_message(exc.message, request_locale(request))
        return _bill_page(request, work, bill_id, message, exc.status_code)
    if not result.adjustments:
        return flash.redirect(request, f"/bills/{bill_id}", "bill_reprice_unchanged")
    first = result.adjustments[0].new_bill_id
    return flash.redirect(request, f"/bills/{first}", "bill_repriced")
