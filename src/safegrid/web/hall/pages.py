"""Hall console pages: the region's halls (HALL-9), a hall's live monitor polled by htmx
(HALL-3), and the agent's window desk — call next, re-call, no-show, complete, transfer,
and the evaluation pad's rating (HALL-2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from safegrid.hall import desk, monitor, queue, staffing
from safegrid.hall.catalogue import BusinessType, type_label
from safegrid.hall.halls import get_hall
from safegrid.hall.schemas import Rating, Step
from safegrid.security.policy import Perm
from safegrid.security.work import Work
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.page_access import HallServePage, HallViewPage
from safegrid.web.redirects import is_htmx, see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

TYPES = {k.value: type_label(k) for k in BusinessType}


class _Press(BaseModel):
    """A button with no fields (call next)."""

    model_config = ConfigDict(extra="forbid")


@router.get("/hall")
def region(request: Request, work: HallViewPage) -> Response:
    with work.read() as uow:
        halls = monitor.region(uow)
    return render(request, "hall/region.html", {"halls": halls})


@router.get("/hall/{hall_id}/monitor")
def hall_monitor(request: Request, hall_id: int, work: HallViewPage) -> Response:
    """The whole page, or (polled by htmx every few seconds) only its live part."""
    hall = get_hall(work.read(), hall_id)
    live_only = is_htmx(request)
    with work.read() as uow:
        state = monitor.live(uow, hall_id)
        plans = [] if live_only else staffing.recommend(uow, hall_id)
    template = "hall/monitor_live.html" if live_only else "hall/monitor.html"
    return render(request, template, {"hall": hall, "state": state, "types": TYPES, "plans": plans})


def _desk_page(
    request: Request,
    work: Work,
    window_id: int,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "hall/desk.html",
        {
            "d": desk.desk(work.read(), window_id),
            "types": TYPES,
            "errors": errors or FieldErrors(),
            "can_serve": work.actor.can(Perm.HALL_SERVE),
        },
        status_code=status_code,
    )


@router.get("/hall/windows/{window_id}")
def window_desk(request: Request, window_id: int, work: HallServePage) -> Response:
    return _desk_page(request, work, window_id)


@router.post("/hall/windows/{window_id}/call-next")
def window_call_next(request: Request, window_id: int, work: HallServePage) -> Response:
    return submit(
        request,
        _Press,
        {},
        (),
        lambda _: queue.do_call_next(work.write(), window_id),
        done=lambda _: see_other(request, f"/hall/windows/{window_id}"),
        again=lambda errors, status: _desk_page(request, work, window_id, errors, status),
    )


@router.post("/hall/tickets/{ticket_id}/step")
def ticket_step(
    request: Request,
    ticket_id: int,
    work: HallServePage,
    step: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    return submit(
        request,
        Step,
        {"step": step},
        ("step",),
        lambda data: queue.do_step(work.write(), ticket_id, data.step),
        done=lambda t: _back_to_desk(request, t.window_id),
        again=lambda errors, status: _ticket_desk(request, work, ticket_id, errors, status),
    )


def _back_to_desk(request: Request, window_id: int | None) -> Response:
    return see_other(request, f"/hall/windows/{window_id}" if window_id else "/hall")


def _ticket_desk(
    request: Request, work: Work, ticket_id: int, errors: FieldErrors, status: int
) -> Response:
    """A refused step or rating is shown on the desk of the ticket's window."""
    window_id = queue.ticket_status(work.read(), ticket_id).window_id
    if window_id is None:
        return see_other(request, "/hall")
    return _desk_page(request, work, window_id, errors, status)


@router.post("/hall/tickets/{ticket_id}/rating")
def ticket_rating(
    request: Request,
    ticket_id: int,
    work: HallServePage,
    score: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return submit(
        request,
        Rating,
        {"score": score, "comment": comment},
        ("score", "comment"),
        lambda data: queue.do_rate(work.write(), ticket_id, data),
        done=lambda t: _back_to_desk(request, t.window_id),
        again=lambda errors, status: _ticket_desk(request, work, ticket_id, errors, status),
    )
