"""The monthly report page (REC-4): the month's report previewed in the reader's scope with
what still keeps it from being signed; the leader in charge signs it off with a one-time
code (reports.do_sign writes the Excel and PDF then); the signed files are downloaded and
their SHA-256 checked against the archive."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from safegrid.platform import clock
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.reconciliation import periods, reports
from safegrid.reconciliation.models import Colour
from safegrid.reconciliation.schemas import ReportSign
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import ReconSignPage, ReconViewPage
from safegrid.web.reconciliation.pages import COLOUR_LABELS
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
REFUSED: Final = (ValidationProblem, ConflictError, PermissionDeniedError, NotFoundError)


def _period(raw: str) -> str:
    return raw if periods.PERIOD.match(raw) else periods.previous(clock.business_day())


def _page(
    request: Request,
    work: Work,
    period: str,
    errors: FieldErrors | None = None,
    verdict: reports.Verdict | None = None,
    status_code: int = 200,
) -> Response:
    shown = reports.preview(work.read(), period)
    return render(
        request,
        "reconciliation/report.html",
        {
            "period": period,
            "p": shown,
            "colour_totals": shown.data.colour_totals(),
            "colours": list(Colour),
            "colour_labels": COLOUR_LABELS,
            "can_sign": work.actor.can(Perm.RECON_SIGN),
            "errors": errors or FieldErrors(),
            "verdict": verdict,
        },
        status_code=status_code,
    )


@router.get("/reconciliation/report")
def report_page(
    request: Request, work: ReconViewPage, period: str = Query("", max_length=7)
) -> Response:
    return _page(request, work, _period(period))


@router.post("/reconciliation/report/sign")
def report_sign(
    request: Request,
    work: ReconSignPage,
    period: Annotated[str, Form(max_length=7)] = "",
    otp: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    return submit(
        request,
        ReportSign,
        {"period": period, "otp": otp},
        ("period", "otp"),
        lambda d: reports.do_sign(work.write(), d.period, d.otp).period,
        done=lambda p: see_other(request, f"/reconciliation/report?period={p}"),
        again=lambda e, status: _page(request, work, _period(period), e, status_code=status),
        refused=REFUSED,
    )


@router.get("/reconciliation/report/file")
def report_file(
    request: Request,
    work: ReconViewPage,
    period: str = Query(..., max_length=7),
    kind: str = Query(..., max_length=4),
) -> Response:
    name, data = reports.archived_file(work.read(), period, kind)
    return Response(
        data,
        media_type=reports.MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/reconciliation/report/verify")
def report_verify(
    request: Request,
    work: ReconViewPage,
    period: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    chosen = _period(period)
    # A changed archive is audited by verify itself, hence a writing unit of work.
    verdict = reports.verify(work.write(), chosen)
    return _page(request, work, chosen, verdict=verdict)
