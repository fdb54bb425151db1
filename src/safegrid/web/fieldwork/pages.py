"""Field work console (FLD-1..8, OPS-6 field side).

- ``/field``: the offline field app, a mobile-first installable shell holding no data (its
  data comes from the API with the worker's own token and lives on his device), public like
  the sign-in page so the service worker can cache it; ``/field/sw.js`` its service worker,
  served from ``/field`` so its scope covers the app.
- ``/fieldwork/safety``: the safety supervisor's dashboard per unit, with the planned
  orders a team leader dispatches from it (the dispatch service applies every gate).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import FileResponse, Response

from safegrid.fieldwork import lifecycle, queries, rectification, services
from safegrid.fieldwork.models import WorkOrderStatus
from safegrid.fieldwork.safety_models import CheckItem
from safegrid.security.guards import public
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.fieldwork import supervision_pages
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.i18n import N_, request_locale, translate
from safegrid.web.page_access import (
    FieldSafetyManagePage,
    FieldSafetyViewPage,
    WorkordersAssignPage,
)
from safegrid.web.redirects import see_other
from safegrid.web.templating import STATIC_DIR, render

router = APIRouter(include_in_schema=False)
router.include_router(supervision_pages.router)

ITEMS: Final = (
    (CheckItem.CASING, N_("Meter box casing intact"), None),
    (CheckItem.GROUNDING, N_("Grounding firm"), None),
    (CheckItem.NO_WATER, N_("No standing water"), None),
    (CheckItem.ELECTROSCOPE, N_("Electroscope on the box: no voltage"), None),
    (CheckItem.VOLTAGE, N_("Multimeter voltage"), N_("Voltage (V)")),
    (CheckItem.GROUND_RESISTANCE, N_("Ground resistance"), N_("Resistance (Ω)")),
)
STRINGS: Final = {
    "online": N_("Online"),
    "offline": N_("Offline"),
    "queued": N_("%(n)s waiting to sync"),
    "saved_locally": N_("Saved on this device; it is sent at the next sync."),
    "offline_kept": N_("No network: everything stays on this device until the next sync."),
    "synced": N_("Synced: %(applied)s applied, %(replayed)s already there, %(refused)s refused."),
    "photo_missing": N_("A photo is required"),
    "photo_too_large": N_("The photo is larger than 9 MB"),
    "readings_refused": N_("Readings not accepted"),
    "storage_full": N_("This device has no room left for the photos; sync first"),
}
KINDS: Final = {
    "install": N_("Install"),
    "replace": N_("Replace"),
    "inspect": N_("Inspect"),
    "disconnect": N_("Disconnect"),
    "reconnect": N_("Reconnect"),
    "reading": N_("Meter reading"),
    "repair": N_("Repair"),
    "theft_inspection": N_("Theft inspection"),
}
STATUSES: Final = {
    "dispatched": N_("Order dispatched"),
    "accepted": N_("Order accepted"),
    "started": N_("Work started"),
    "stopped": N_("Work stopped"),
    "finished": N_("Work finished"),
    "submitted": N_("Order submitted"),
}


@router.get("/field", dependencies=[Depends(public("offline field app shell, no data"))])
def field_app(request: Request) -> Response:
    locale = request_locale(request)

    def t(msgid: str) -> str:
        return translate(locale, msgid)

    strings: dict[str, object] = {k: t(v) for k, v in STRINGS.items()}
    strings["kinds"] = {k: t(v) for k, v in KINDS.items()}
    strings["statuses"] = {k: t(v) for k, v in STATUSES.items()}
    items = [(i.value, t(label), t(measured) if measured else None) for i, label, measured in ITEMS]
    return render(request, "fieldwork/app.html", {"items": items, "strings": strings})


@router.get("/field/sw.js", dependencies=[Depends(public("the field app's service worker"))])
def field_service_worker() -> Response:
    return FileResponse(
        STATIC_DIR / "field" / "sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/field", "Cache-Control": "no-cache"},
    )


class DispatchForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: int = Field(gt=0)


class ProgressForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retraining_hours: Decimal = Decimal(0)
    written_review: bool = False

    @field_validator("retraining_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> Decimal:
        # Decimal's own parse error is English only; the range is the service's to judge.
        try:
            hours = Decimal(str(value).strip() or "0")
        except InvalidOperation:
            hours = Decimal("NaN")
        if not hours.is_finite():
            raise ValueError("培训学时须为数字 / the hours must be a number")
        return hours


COLOURS: Final = {"yellow": N_("Yellow"), "red": N_("Red"), "black": N_("Black")}
DONE: Final = {
    "dispatched": N_("The work order has been dispatched."),
    "progress": N_("The rectification progress has been recorded."),
    "cleared": N_("The rectification has been cleared."),
}


def _board(
    request: Request,
    work: Work,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    done: str = "",
) -> Response:
    boards = queries.dashboard(work.read())
    planned = (
        [o for o in services.list_work_orders(work.read()) if o.status == WorkOrderStatus.ASSIGNED]
        if work.actor.can(Perm.WORKORDERS_ASSIGN)
        else []
    )
    return render(
        request,
        "fieldwork/safety.html",
        {
            "boards": boards,
            "planned": planned,
            "errors": errors or FieldErrors(),
            "done": DONE.get(done),
            "kinds": KINDS,
            "rectifications": queries.open_rectifications(work.read()),
            "can_manage": work.actor.can(Perm.FIELD_SAFETY_MANAGE),
            "colours": COLOURS,
        },
        status_code=status_code,
    )


@router.get("/fieldwork/safety")
def safety_dashboard(
    request: Request, work: FieldSafetyViewPage, done: str = Query("", max_length=16)
) -> Response:
    return _board(request, work, done=done)


@router.post("/fieldwork/dispatch")
def dispatch(
    request: Request,
    work: WorkordersAssignPage,
    order_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    return submit(
        request,
        DispatchForm,
        {"order_id": order_id},
        ("order_id",),
        lambda data: lifecycle.do_dispatch(work.write(), [data.order_id]),
        done=lambda _: see_other(request, "/fieldwork/safety?done=dispatched"),
        again=lambda errors, status: _board(request, work, errors, status),
    )


@router.post("/fieldwork/rectifications/{rectification_id}/progress")
def record_progress(
    request: Request,
    rectification_id: int,
    work: FieldSafetyManagePage,
    retraining_hours: Annotated[str, Form(max_length=8)] = "",
    written_review: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """FLD-8 on the dashboard: retraining hours of a red one, the written review of a
    yellow one; either may clear it."""
    return submit(
        request,
        ProgressForm,
        {"retraining_hours": retraining_hours, "written_review": bool(written_review)},
        ("retraining_hours", "written_review"),
        lambda data: rectification.do_record_progress(
            work.write(),
            rectification_id,
            retraining_hours=data.retraining_hours,
            written_review=data.written_review,
        ),
        done=lambda cleared: see_other(
            request, f"/fieldwork/safety?done={'cleared' if cleared else 'progress'}"
        ),
        again=lambda errors, status: _board(request, work, _whole_form(errors), status),
    )


def _whole_form(errors: FieldErrors) -> FieldErrors:
    """One small form per row has no field to mark: every message goes on top."""
    out = FieldErrors()
    for messages in errors.values():
        for message in messages:
            out.add(None, message)
    return out
