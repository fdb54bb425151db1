"""Emergency plans, the drill calendar and findings (OPS-5), backups and restore drills
(OPS-4) on one page; recording a drill and fixing a finding are forms (PRG)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.secops import emergency, queries
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_
from safegrid.web.page_access import SecopsRespondPage, SecopsViewPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

DONE: Final[dict[str, str]] = {
    "recorded": N_("The drill has been recorded; each finding is due in 15 working days."),
    "fixed": N_("The finding is marked fixed."),
}


class DrillForm(BaseModel):
    held_on: date
    summary: str = Field(min_length=1, max_length=4000)
    findings: str = Field(default="", max_length=4000)


class FixForm(BaseModel):
    note: str = Field(min_length=1, max_length=500)


def _page(
    request: Request, work: Work, errors: FieldErrors | None = None, status_code: int = 200,
    done: str = "",
) -> Response:  # fmt: skip
    return render(
        request,
        "secops/drills.html",
        {
            "r": queries.resilience(work.read(), clock.business_day().year),
            "today": clock.business_day(),
            "can_respond": work.actor.can(Perm.SECOPS_RESPOND),
            "errors": errors or FieldErrors(),
            "done": DONE.get(done),
        },
        status_code=status_code,
    )


@router.get("/secops/drills")
def drills_page(
    request: Request, work: SecopsViewPage, done: str = Query("", max_length=16)
) -> Response:
    return _page(request, work, done=done)


@router.post("/secops/drills/{drill_id}/record")
def record_drill(
    request: Request,
    drill_id: int,
    work: SecopsRespondPage,
    held_on: Annotated[str, Form(max_length=10)] = "",
    summary: Annotated[str, Form(max_length=4000)] = "",
    findings: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def act(data: DrillForm) -> list[int]:
        rec = emergency.DrillRecord(data.held_on, data.summary, data.findings.splitlines())
        return emergency.do_record_drill(work.write(), drill_id, rec)

    return submit(
        request,
        DrillForm,
        {"held_on": held_on, "summary": summary, "findings": findings},
        ("held_on", "summary", "findings"),
        act,
        done=lambda _: see_other(request, "/secops/drills?done=recorded"),
        again=lambda errors, status: _page(request, work, errors, status),
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )


@router.post("/secops/findings/{finding_id}/fix")
def fix_finding(
    request: Request,
    finding_id: int,
    work: SecopsRespondPage,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return submit(
        request,
        FixForm,
        {"note": note},
        ("note",),
        lambda data: emergency.do_fix_finding(work.write(), finding_id, data.note),
        done=lambda _: see_other(request, "/secops/drills?done=fixed"),
        again=lambda errors, status: _page(request, work, errors, status),
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )
