"""Hall API (HALL-1..9). Staff routes follow the ORG-2 scope (an object of another region is
a 404); the feed is read with a subscriber's own credential (HALL-7)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from safegrid.bootstrap import get_platform
from safegrid.customers.models import Customer
from safegrid.hall import appointments, feed, halls, monitor, queue, queue_batches
from safegrid.hall.schemas import (
    AppointmentCreate,
    FeedPage,
    FeedSubscriberCreate,
    FeedSubscriberCreated,
    HallCreate,
    HallEventOut,
    HallOut,
    HallUpdate,
    Rating,
    Step,
    TicketOut,
    TicketTake,
    Transfer,
    WindowCreate,
    WindowOut,
    WindowUpdate,
)
from safegrid.platform.errors import AuthenticationError, NotFoundError
from safegrid.security.actor import Actor
from safegrid.security.api_access import HallManage, HallServe, HallView
from safegrid.security.guards import public

router = APIRouter(prefix="/api/hall", tags=["hall 营业厅"])
# The queue's operations are ``async``: they wait on the event loop for the process's batch
# (``hall.queue_batches``) instead of holding a worker thread each.


@router.get("/halls", response_model=list[HallOut])
def list_halls(work: HallView) -> list[HallOut]:
    return halls.list_halls(work.read())


@router.post("/halls", response_model=HallOut, status_code=201)
def create_hall(body: HallCreate, work: HallManage) -> HallOut:
    return halls.do_create_hall(work.write(), body)


@router.put("/halls/{hall_id}", response_model=HallOut)
def update_hall(hall_id: int, body: HallUpdate, work: HallManage) -> HallOut:
    return halls.do_update_hall(work.write(), hall_id, body)


@router.post("/halls/{hall_id}/windows", response_model=WindowOut, status_code=201)
def add_window(hall_id: int, body: WindowCreate, work: HallManage) -> WindowOut:
    return halls.do_add_window(work.write(), hall_id, body)


@router.put("/windows/{window_id}", response_model=WindowOut)
def update_window(window_id: int, body: WindowUpdate, work: HallManage) -> WindowOut:
    return halls.do_update_window(work.write(), window_id, body)


@router.post("/halls/{hall_id}/tickets", response_model=TicketOut, status_code=201)
async def take_ticket(hall_id: int, body: TicketTake, work: HallServe) -> TicketOut:
    """A ticket taken for a customer (the phone line, or an agent at the door)."""
    return await queue_batches.answer(work.write(), queue.take_job(hall_id, body))


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def ticket_status(ticket_id: int, work: HallView) -> TicketOut:
    return queue.ticket_status(work.read(), ticket_id)


@router.post("/windows/{window_id}/call-next", response_model=TicketOut)
async def call_next(window_id: int, work: HallServe) -> TicketOut | Response:
    """The next ticket for this window, or 204 when nobody is waiting for it."""
    called = await queue_batches.answer(work.write(), queue.call_next_job(window_id))
    return Response(status_code=204) if called is None else called


@router.post("/tickets/{ticket_id}/step", response_model=TicketOut)
async def step(ticket_id: int, body: Step, work: HallServe) -> TicketOut:
    """At the window: call the ticket again, record a no-show, or complete it."""
    return await queue_batches.answer(work.write(), queue.step_job(ticket_id, body.step))


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketOut)
async def transfer(ticket_id: int, body: Transfer, work: HallServe) -> TicketOut:
    return await queue_batches.answer(work.write(), queue.transfer_job(ticket_id, body))


@router.post("/tickets/{ticket_id}/rating", response_model=TicketOut)
async def rate(ticket_id: int, body: Rating, work: HallServe) -> TicketOut:
    """The evaluation pad at the window posts the customer's score through its agent."""
    return await queue_batches.answer(work.write(), queue.rate_job(ticket_id, body))


@router.post("/halls/{hall_id}/appointments", status_code=201)
def book(hall_id: int, body: AppointmentCreate, work: HallServe) -> dict[str, Any]:
    return appointments.do_book(work.write(), hall_id, body).model_dump(mode="json")


@router.post("/appointments/{appointment_id}/check-in", response_model=TicketOut)
def check_in(appointment_id: int, work: HallServe) -> TicketOut:
    return appointments.do_check_in(work.write(), appointment_id)


@router.get("/halls/{hall_id}/monitor")
def hall_monitor(hall_id: int, work: HallView) -> dict[str, Any]:
    with work.read() as uow:
        state = monitor.live(uow, hall_id)
    return {**dataclasses.asdict(state), "average_rating": state.average_rating}


@router.get("/tickets/{ticket_id}/events", response_model=list[HallEventOut])
def ticket_events(ticket_id: int, work: HallView) -> list[HallEventOut]:
    found = feed.trace(work.read(), ticket_id=ticket_id)
    if not found:
        raise NotFoundError(queue.NO_TICKET)
    return found


@router.get("/customers/{customer_id}/events", response_model=list[HallEventOut])
def customer_events(customer_id: int, work: HallView) -> list[HallEventOut]:
    with work.read() as uow:
        if uow.session.get(Customer, customer_id) is None:
            raise NotFoundError("客户不存在 / customer not found")
    return feed.trace(work.read(), customer_id=customer_id)


@router.post("/feed/subscribers", response_model=FeedSubscriberCreated, status_code=201)
def create_subscriber(body: FeedSubscriberCreate, work: HallManage) -> FeedSubscriberCreated:
    return feed.do_create_subscriber(work.write(), body)


def _subscriber(request: Request) -> Actor:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError(feed.REFUSED_CREDENTIAL)
    system = Actor.system("hall.feed", "api")
    return feed.subscriber_actor(get_platform().uow(system, readonly=True), token.strip())


@router.get(
    "/feed",
    response_model=FeedPage,
    dependencies=[Depends(public("hall event feed: a subscriber's own bearer credential"))],
)
def feed_page(
    subscriber: Annotated[Actor, Depends(_subscriber)],
    after: int = Query(0, ge=0),
    limit: int = Query(feed.PAGE, ge=1, le=feed.PAGE),
) -> FeedPage:
    """Hall events after the cursor ``after``, in the subscriber's scope, oldest first."""
    return feed.page(get_platform().uow(subscriber, readonly=True), after, limit)
