"""The FLD-7 review page: a month's drawn orders with their four kinds of evidence side by
side (record, photos, tool ledger, GPS track) and the "four checks, four looks" form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from safegrid.fieldwork.evidence import draw_evidence
from safegrid.fieldwork.supervision import LOOKS, ReviewIn, do_review_drawn
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import FieldSafetyManagePage, FieldSafetyViewPage
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


class ReviewForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    work_order_id: int = Field(gt=0)
    record: bool = False
    video: bool = False
    tool_ledger: bool = False
    gps_track: bool = False
    findings: str = Field("", max_length=1000)


def _page(
    request: Request, work: Work, draw_id: int, errors: FieldErrors | None = None, status: int = 200
) -> Response:
    view = draw_evidence(work.read(), draw_id)
    return render(
        request,
        "fieldwork/supervision.html",
        {
            "view": view,
            "looks": LOOKS,
            "errors": errors or FieldErrors(),
            "can_review": work.actor.can(Perm.FIELD_SAFETY_MANAGE),
        },
        status_code=status,
    )


@router.get("/fieldwork/supervision/{draw_id}")
def draw_page(request: Request, draw_id: int, work: FieldSafetyViewPage) -> Response:
    return _page(request, work, draw_id)


@router.post("/fieldwork/supervision/{draw_id}/review")
def review(
    request: Request,
    draw_id: int,
    work: FieldSafetyManagePage,
    work_order_id: Annotated[str, Form(max_length=12)] = "",
    record: Annotated[str, Form(max_length=4)] = "",
    video: Annotated[str, Form(max_length=4)] = "",
    tool_ledger: Annotated[str, Form(max_length=4)] = "",
    gps_track: Annotated[str, Form(max_length=4)] = "",
    findings: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    draw_evidence(work.read(), draw_id)  # out of scope → 404 before anything else
    values = {
        "work_order_id": work_order_id,
        "record": bool(record),
        "video": bool(video),
        "tool_ledger": bool(tool_ledger),
        "gps_track": bool(gps_track),
        "findings": findings,
    }

    def act(data: ReviewForm) -> list[int]:
        looks = {k: bool(getattr(data, k)) for k in LOOKS}
        return do_review_drawn(
            work.write(), draw_id, [ReviewIn(data.work_order_id, looks, data.findings)]
        )

    return submit(
        request,
        ReviewForm,
        values,
        ("work_order_id", "findings"),
        act,
        done=lambda _: see_other(request, f"/fieldwork/supervision/{draw_id}"),
        again=lambda errors, status: _page(request, work, draw_id, errors, status),
    )
