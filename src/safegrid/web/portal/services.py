"""The portal's service pages: complaints and suggestions with the satisfaction survey,
and taking a hall queue ticket from the phone (HALL-2: the queue's ``portal`` channel)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.hall import queue
from safegrid.hall.catalogue import Channel
from safegrid.hall.halls import list_halls
from safegrid.hall.schemas import TicketTake
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.portal import accounts, feedback
from safegrid.portal.schemas import FeedbackIn, RatingIn
from safegrid.web.forms import FieldErrors, submit
from safegrid.web.hall.pages import TYPES
from safegrid.web.portal.guard import Me
from safegrid.web.redirects import see_other
from safegrid.web.templating import render

router = APIRouter(include_in_schema=False)


def _feedback_page(
    request: Request,
    me: Me,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    platform = get_platform()
    context: dict[str, Any] = {
        "me": me,
        "accounts": accounts.bound_accounts(platform.uow(me.actor, readonly=True), me),
        "items": feedback.mine(platform.uow(me.actor, readonly=True), me),
        "errors": errors or FieldErrors(),
        "values": values or {},
    }
    return render(request, "portal/feedback.html", context, status_code=status_code)


@router.get("/portal/feedback")
def feedback_list(request: Request, me: Me) -> Response:
    return _feedback_page(request, me)


@router.post("/portal/feedback")
def feedback_file(
    request: Request,
    me: Me,
    account_no: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
    subject: Annotated[str, Form(max_length=100)] = "",
    body: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"account_no": account_no, "kind": kind, "subject": subject, "body": body}
    return submit(
        request,
        FeedbackIn,
        values,
        list(values),
        lambda d: feedback.do_file(
            get_platform().uow(me.actor), me, d.account_no, d.kind, d.subject, d.body
        ),
        done=lambda _row: see_other(request, "/portal/feedback"),
        again=lambda errors, status: _feedback_page(
            request, me, errors=errors, values=values, status_code=status
        ),
        refused=(ValidationProblem, NotFoundError),
    )


@router.post("/portal/feedback/{feedback_id}/rating")
def feedback_rate(
    request: Request,
    me: Me,
    feedback_id: int,
    rating: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return submit(
        request,
        RatingIn,
        {"rating": rating, "comment": comment},
        ["rating", "comment"],
        lambda d: feedback.do_rate(
            get_platform().uow(me.actor), me, feedback_id, d.rating, d.comment
        ),
        done=lambda _none: see_other(request, "/portal/feedback"),
        again=lambda errors, status: _feedback_page(request, me, errors=errors, status_code=status),
        refused=(ValidationProblem, ConflictError),
    )


def _queue_page(
    request: Request,
    me: Me,
    *,
    ticket: object = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    halls = list_halls(get_platform().uow(me.actor, readonly=True))
    context = {
        "me": me,
        "halls": halls,
        "types": TYPES,
        "ticket": ticket,
        "errors": errors or FieldErrors(),
    }
    return render(request, "portal/queue.html", context, status_code=status_code)


@router.get("/portal/queue")
def queue_page(request: Request, me: Me) -> Response:
    return _queue_page(request, me)


@router.post("/portal/queue")
def queue_take(
    request: Request,
    me: Me,
    hall_id: Annotated[str, Form(max_length=12)] = "",
    business_type: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    platform = get_platform()
    mine = accounts.bound_accounts(platform.uow(me.actor, readonly=True), me)
    # The ticket names the customer of his first account, so the agent sees who is coming.
    values = {
        "business_type": business_type,
        "channel": Channel.PORTAL.value,
        "customer_id": mine[0].customer_id if mine else None,
    }
    if not hall_id.isdigit():
        errors = FieldErrors()
        errors.add("hall_id", "请选择营业厅 / choose a service hall")
        return _queue_page(request, me, errors=errors, status_code=422)
    return submit(
        request,
        TicketTake,
        values,
        ["business_type"],
        lambda d: queue.do_take_ticket(platform.uow(me.actor), int(hall_id), d),
        done=lambda ticket: _queue_page(request, me, ticket=ticket),
        again=lambda errors, status: _queue_page(request, me, errors=errors, status_code=status),
        refused=(ValidationProblem, ConflictError, NotFoundError),
    )
