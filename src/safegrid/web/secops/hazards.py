"""安全随手拍 in the console (OPS-7): the public report form (no sign-in; an anonymous
report's request address is never passed on, so nothing records it) and the safety
supervisors' list where reports are triaged, fixed and rewarded."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy import select
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.org.models import OrgUnit
from safegrid.platform.errors import SafeGridError, ValidationProblem
from safegrid.secops import hazards
from safegrid.secops.hazard_models import HazardReport
from safegrid.security.actor import Actor
from safegrid.security.guards import public
from safegrid.security.masking import mask_phone
from safegrid.security.scope import unscoped
from safegrid.web.i18n import N_
from safegrid.web.page_access import HazardsManagePage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)
# The intake acts as the system with no address at all, named or anonymous alike.
INTAKE = Actor.system("hazard-intake", "web")
DONE: Final[dict[str, str]] = {
    "worked": N_("The hazard report has been updated."),
}


def _units() -> list[tuple[int, str]]:
    with get_platform().uow(INTAKE, readonly=True) as uow:
        rows = uow.session.execute(
            select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.path),
            execution_options=unscoped("the public form lists the units' names"),
        ).all()
    return [(a, b) for a, b in rows]


def _form(request: Request, values: dict[str, str], error: SafeGridError | None = None,
          number: str | None = None) -> Response:  # fmt: skip
    return render(
        request,
        "secops/hazard_report.html",
        {"values": values, "units": _units(), "error": error.message if error else None,
         "error_field": error.field if error else None, "number": number},
        status_code=error.status_code if error else (201 if number else 200),
    )  # fmt: skip


@router.get("/hazards/report", dependencies=[Depends(public("hazard reports: the form"))])
def report_form(request: Request) -> Response:
    return _form(request, {"anonymous": "yes"})


@router.post("/hazards/report", dependencies=[Depends(public("hazard reports: anyone"))])
async def report_submit(
    request: Request,
    description: Annotated[str, Form(max_length=4000)] = "",
    latitude: Annotated[str, Form(max_length=16)] = "",
    longitude: Annotated[str, Form(max_length=16)] = "",
    anonymous: Annotated[str, Form(max_length=4)] = "",
    reporter_name: Annotated[str, Form(max_length=64)] = "",
    reporter_phone: Annotated[str, Form(max_length=16)] = "",
    org_unit_id: Annotated[str, Form(max_length=12)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {"description": description, "latitude": latitude, "longitude": longitude,
              "anonymous": anonymous, "reporter_name": reporter_name,
              "reporter_phone": reporter_phone, "org_unit_id": org_unit_id}  # fmt: skip
    data = await photo.read(hazards.MAX_PHOTO + 1) if photo is not None else b""
    try:
        try:
            lat, lon = Decimal(latitude.strip()), Decimal(longitude.strip())
        except InvalidOperation:
            raise ValidationProblem(
                "位置无效 / the position is not valid", field="latitude"
            ) from None
        number = hazards.do_report_hazard(
            get_platform().uow(INTAKE),
            hazards.NewHazard(description, lat, lon, anonymous == "yes",
                              int(org_unit_id) if org_unit_id.isdigit() else 0,
                              reporter_name, reporter_phone.strip(), data or None),
        )  # fmt: skip
    except SafeGridError as exc:
        return _form(request, values, exc)
    return _form(request, {"anonymous": "yes"}, number=number)


@router.get("/secops/hazards")
def hazards_page(
    request: Request, work: HazardsManagePage, done: str = Query("", max_length=16)
) -> Response:
    with work.read() as uow:
        rows = list(
            uow.session.scalars(select(HazardReport).order_by(HazardReport.id.desc()).limit(200))
        )
    return render(
        request,
        "secops/hazards.html",
        {
            "rows": rows,
            "done": DONE.get(done),
            "rewards": hazards.REWARDS,
            "phones": {h.id: mask_phone(h.reporter_phone) for h in rows if h.reporter_phone},
        },
    )


@router.post("/secops/hazards/{hazard_id}")
def work_hazard(
    request: Request,
    hazard_id: int,
    work: HazardsManagePage,
    action: Annotated[str, Form(max_length=16)] = "",
    level: Annotated[str, Form(max_length=2)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    act = hazards.HazardAction(action, int(level) if level.isdigit() else None, assignee, note)
    hazards.do_work_hazard(work.write(), hazard_id, act)
    return see_other(request, "/secops/hazards?done=worked")
