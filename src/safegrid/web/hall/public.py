"""The hall's own screens, reached without signing in: the kiosk that prints a ticket and
the display board over the waiting area (HALL-2, HALL-3). They show only ticket numbers,
window numbers and queue lengths — no customer data — and act as the platform itself,
named ``system:kiosk`` in the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.hall import monitor, queue
from safegrid.hall.board_stream import BROADCASTER
from safegrid.hall.catalogue import Channel, Priority
from safegrid.hall.halls import get_hall
from safegrid.hall.schemas import TicketTake
from safegrid.security.actor import Actor
from safegrid.security.guards import public
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.hall.event_stream import EventStream
from safegrid.web.hall.pages import TYPES
from safegrid.web.redirects import is_htmx
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)

KIOSK = Actor.system("kiosk", "web")
BOARD = Actor.system("display-board", "web")


def _kiosk_page(
    request: Request, hall_id: int, errors: FieldErrors | None = None, status_code: int = 200
) -> Response:
    hall = get_hall(get_platform().uow(KIOSK, readonly=True), hall_id)
    return render(
        request,
        "hall/kiosk.html",
        {"hall": hall, "types": TYPES, "errors": errors or FieldErrors()},
        status_code=status_code,
    )


@router.get("/hall/kiosk/{hall_id}", dependencies=[Depends(public("hall kiosk: take a ticket"))])
def kiosk(request: Request, hall_id: int) -> Response:
    return _kiosk_page(request, hall_id)


@router.post(
    "/hall/kiosk/{hall_id}", dependencies=[Depends(public("hall kiosk: print the ticket"))]
)
def kiosk_take(
    request: Request,
    hall_id: int,
    business_type: Annotated[str, Form(max_length=24)] = "",
    priority: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    values = {
        "business_type": business_type,
        "channel": Channel.KIOSK.value,
        "priority": Priority.PRIORITY.value if priority else Priority.NORMAL.value,
    }
    hall = get_hall(get_platform().uow(KIOSK, readonly=True), hall_id)
    return submit(
        request,
        TicketTake,
        values,
        ("business_type",),
        lambda data: queue.do_take_ticket(get_platform().uow(KIOSK), hall_id, data),
        done=lambda t: render(
            request, "hall/ticket.html", {"t": t, "hall": hall, "types": TYPES}, status_code=201
        ),
        again=lambda errors, status: _kiosk_page(request, hall_id, errors, status),
    )


@router.get(
    "/hall/board/{hall_id}", dependencies=[Depends(public("hall display board: calls only"))]
)
def board(request: Request, hall_id: int) -> Response:
    """The whole screen, or (polled by htmx) only the calls and queue lengths."""
    uow = get_platform().uow(BOARD, readonly=True)
    hall = get_hall(uow, hall_id)
    with uow:
        state = monitor.live(uow, hall_id)
    template = "hall/board_live.html" if is_htmx(request) else "hall/board.html"
    return render(request, template, {"hall": hall, "state": state, "types": TYPES})


@router.get(
    "/hall/board/{hall_id}/stream",
    dependencies=[Depends(public("hall display board: live calls as server-sent events"))],
)
def board_stream(hall_id: int) -> EventStream:
    """This hall's news as it happens: ``event: call`` ``{"number", "window"}``, ``event:
    queue`` ``{type: waiting}``, ``event: resync`` when the board fell behind."""
    get_hall(get_platform().uow(BOARD, readonly=True), hall_id)
    return EventStream(BROADCASTER, hall_id)
