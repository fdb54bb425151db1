"""离线收款冲突 in the console (OPS-6): the cases an offline hall's sync left — a bill paid
online meanwhile (the money is credit) or an entry the server refused — listed in the
caller's scope and closed by settlement staff with what was done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from safegrid.secops.offline import cases
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import CounterSettlePage, CounterViewPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/counter/offline-cases"
KINDS = {
    "paid_meanwhile": N_("Bill paid online meanwhile (now credit)"),
    "refused": N_("Refused by the server (cash not in the ledger)"),
}


class CloseForm(BaseModel):
    resolution: str = Field(min_length=2, max_length=400)


def _page(
    request: Request,
    work: Work,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    done: bool = False,
) -> Response:
    return render(
        request,
        "secops/offline_cases.html",
        {
            "rows": cases.open_cases(work.read()),
            "kinds": KINDS,
            "errors": errors or FieldErrors(),
            "can_close": work.actor.can(Perm.COUNTER_SETTLE),
            "done": done,
        },
        status_code=status_code,
    )


@router.get(PAGE)
def offline_cases_page(
    request: Request, work: CounterViewPage, done: str = Query("", max_length=8)
) -> Response:
    return _page(request, work, done=done == "closed")


@router.post(PAGE + "/{offline_case_id}/close")
def close_offline_case(
    request: Request,
    offline_case_id: int,
    work: CounterSettlePage,
    resolution: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    return submit(
        request,
        CloseForm,
        {"resolution": resolution},
        ("resolution",),
        lambda data: cases.do_close_case(work.write(), offline_case_id, data.resolution),
        done=lambda _r: see_other(request, PAGE + "?done=closed"),
        again=lambda errors, status: _page(request, work, errors, status),
    )
