"""Reconciliation console (REC-2): the match board — a month's items by colour with both
sides and the reason each was matched, the case of a red item and its due day — and the
month's run (or re-run, which keeps decisions) started from it."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.paging import PageQuery
from safegrid.reconciliation import board, cases, matching, periods
from safegrid.reconciliation.models import Colour
from safegrid.reconciliation.schemas import ItemReview
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import ReconViewPage, ReconWorkPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

COLOUR_LABELS: Final[dict[str, str]] = {
    Colour.GREEN: N_("Green: exact match"),
    Colour.YELLOW: N_("Yellow: difference within 0.1 %, to review"),
    Colour.RED: N_("Red: larger difference or missing on one side"),
}


@router.get("/reconciliation")
def match_board(
    request: Request,
    work: ReconViewPage,
    period: str = Query("", max_length=7),
    colour: str = Query("", max_length=8),
    page: int = Query(1, ge=1),
) -> Response:
    return _board(request, work, period, colour, page)


def _board(
    request: Request,
    work: Work,
    period: str,
    colour: str,
    page: int = 1,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    chosen_period = (
        period if periods.PERIOD.match(period) else periods.previous(clock.business_day())
    )
    chosen = Colour(colour) if colour in {c.value for c in Colour} else None
    found = board.board(work.read(), chosen_period, chosen, PageQuery(page=page, size=50))
    return render(
        request,
        "reconciliation/board.html",
        {
            "board": found,
            "colour": chosen.value if chosen else "",
            "colours": list(Colour),
            "colour_labels": COLOUR_LABELS,
            "can_work": work.actor.can(Perm.RECON_WORK),
            "errors": errors or FieldErrors(),
        },
        status_code=status_code,
    )


@router.post("/reconciliation/run")
def run_month(
    request: Request, work: ReconWorkPage, period: Annotated[str, Form(max_length=7)] = ""
) -> Response:
    """The same set-based run as the monthly job; a bad period is the service's 422."""
    result = matching.do_run_month(work.write(), period)
    return see_other(request, f"/reconciliation?period={result.period}")


@router.post("/reconciliation/items/review")
def review_yellow(
    request: Request,
    work: ReconWorkPage,
    item_id: Annotated[str, Form(max_length=20)] = "",
    decision: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
    period: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    """A yellow difference accepted with a reason, or turned red (which opens its case)."""

    def act(d: ItemReview) -> None:
        cases.do_review_yellow(work.write(), d.item_id, accept=d.accept, reason=d.reason)

    return submit(
        request,
        ItemReview,
        {"item_id": item_id, "decision": decision, "reason": reason},
        ("item_id", "decision", "reason"),
        act,
        done=lambda _: see_other(request, f"/reconciliation?period={period}&colour=yellow"),
        again=lambda e, status: _board(request, work, period, "yellow", errors=e, status_code=status),
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )  # fmt: skip
