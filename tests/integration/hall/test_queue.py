"""HALL-2: the queue — numbers per hall, day and type; people ahead and predicted wait;
call-next by skill and priority; re-call, transfer, no-show, complete, rating; appointments;
the day boundary. HALL-4: a queue over its threshold raises an alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.hall import appointments, days, queue
from safegrid.hall.catalogue import BusinessType, Priority, TicketStatus
from safegrid.hall.models import HallEvent, Ticket
from safegrid.hall.schemas import AppointmentCreate, Rating, Transfer
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, PermissionDeniedError
from safegrid.security.policy import Post
from tests.fixtures.hall import Halls


def _agent(h: Halls, unit: str = "hallA"):
    return h.world.actor(h.world.staff(Post.HALL_AGENT, unit))


def test_hall_2_numbers_per_type_people_ahead_and_predicted_wait(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    h.window("hallA", 1)
    first = h.take("hallA")
    second = h.take("hallA")
    other = h.take("hallA", BusinessType.NEW_CONNECTION)
    assert (first.number, second.number, other.number) == ("A0001", "A0002", "B0001")
    assert (first.people_ahead, second.people_ahead, other.people_ahead) == (0, 1, 0)
    # One payment window, no history yet: the catalogue's 3 minutes per customer ahead.
    assert second.predicted_wait_minutes == 3


def test_hall_2_people_ahead_of_a_ticket_sent_to_a_named_window(hall_world: Halls) -> None:
    """A ticket transferred to a window waits in that window's own line: only tickets sent
    to the same window count ahead of it, not those waiting for their type."""
    h = hall_world
    h.open("hallA")
    pay = h.window("hallA", 1, "payment")
    named = h.window("hallA", 2, "payment,new_connection")
    agent = _agent(h)
    uow = h.world.platform.uow
    first, second = h.take("hallA"), h.take("hallA")
    h.take("hallA")  # waits by type: not in the named window's line
    for t in (first, second):
        called = queue.do_call_next(uow(agent), pay)
        assert called is not None and called.id == t.id
        queue.do_transfer(uow(agent), t.id, Transfer(window_id=named))
    ahead = [queue.ticket_status(uow(agent), t.id).people_ahead for t in (first, second)]
    assert ahead == [0, 1]


def test_hall_2_call_next_by_skill_then_priority_then_order(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    window = h.window("hallA", 1, "payment")
    h.take("hallA", BusinessType.NEW_CONNECTION)
    normal = h.take("hallA")
    elderly = h.take("hallA", priority=Priority.PRIORITY)
    agent = _agent(h)
    called = queue.do_call_next(h.world.platform.uow(agent), window)
    assert called is not None and called.number == elderly.number
    with pytest.raises(ConflictError, match="finish ticket"):
        queue.do_call_next(h.world.platform.uow(agent), window)
    queue.do_step(h.world.platform.uow(agent), called.id, "complete")
    again = queue.do_call_next(h.world.platform.uow(agent), window)
    assert again is not None and again.number == normal.number
    queue.do_step(h.world.platform.uow(agent), again.id, "no_show")
    # The new-connection ticket is not this window's business.
    assert queue.do_call_next(h.world.platform.uow(agent), window) is None


def test_hall_2_recall_transfer_and_rating_once(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    pay = h.window("hallA", 1, "payment")
    conn = h.window("hallA", 2, "new_connection")
    t = h.take("hallA")
    agent = _agent(h)
    uow = h.world.platform.uow
    queue.do_call_next(uow(agent), pay)
    assert queue.do_step(uow(agent), t.id, "recall").status == "called"
    queue.do_transfer(uow(agent), t.id, Transfer(business_type=BusinessType.NEW_CONNECTION))
    assert queue.do_call_next(uow(agent), pay) is None
    moved = queue.do_call_next(uow(agent), conn)
    assert moved is not None and moved.id == t.id
    with pytest.raises(ConflictError, match="only a served ticket"):
        queue.do_rate(uow(agent), t.id, Rating(score=5))
    queue.do_step(uow(agent), t.id, "complete")
    queue.do_rate(uow(agent), t.id, Rating(score=4, comment="很快"))
    with pytest.raises(ConflictError, match="already rated"):
        queue.do_rate(uow(agent), t.id, Rating(score=1))
    with h.world.platform.engine.connect() as c:
        row = c.execute(select(Ticket.rating, Ticket.call_count).where(Ticket.id == t.id)).one()
        kinds = c.scalars(
            select(HallEvent.kind).where(HallEvent.ticket_id == t.id).order_by(HallEvent.id)
        ).all()
    assert tuple(row) == (4, 1)
    assert kinds == [
        "ticket_taken",
        "ticket_called",
        "ticket_recalled",
        "ticket_transferred",
        "ticket_called",
        "ticket_completed",
        "ticket_rated",
    ]


def test_hall_2_a_window_of_another_hall_is_refused_and_nothing_changes(
    hall_world: Halls,
) -> None:
    """Bad input: a call from a window of another hall."""
    h = hall_world
    h.open("hallA")
    h.open("hallB")
    window_b = h.window("hallB", 1)
    h.take("hallB")
    # An agent of countyA cannot even see hallB's window (ORG-2) …
    with pytest.raises(NotFoundError):
        queue.do_call_next(h.world.platform.uow(_agent(h)), window_b)
    # … and one of a city above both halls sees it but does not work there.
    city_agent = h.world.actor(h.world.staff(Post.HALL_AGENT, "prov"))
    with pytest.raises(PermissionDeniedError, match="another hall"):
        queue.do_call_next(h.world.platform.uow(city_agent), window_b)
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(func.count()).where(Ticket.status != TicketStatus.WAITING)) == 0


def test_hall_4_queue_over_threshold_raises_one_alert(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA", threshold=2)
    h.window("hallA", 1)
    for _ in range(5):
        h.take("hallA")
    with h.world.platform.engine.connect() as c:
        alerts = c.execute(select(Alert.key_field, Alert.after)).all()
    assert [tuple(a) for a in alerts] == [("hall_queue", "3")]


def test_hall_4_wait_over_limit_alerts_once_per_ticket(hall_world: Halls) -> None:
    from safegrid.hall.jobs import do_flag_long_waits

    h = hall_world
    h.open("hallA", wait_limit=10)
    h.take("hallA")
    system = h.world.system()
    assert do_flag_long_waits(h.world.platform.uow(system)) == 0
    clock.current().advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    assert do_flag_long_waits(h.world.platform.uow(system)) == 1
    assert do_flag_long_waits(h.world.platform.uow(system)) == 0


def test_hall_2_appointment_checks_in_ahead_of_walk_ins(hall_world: Halls) -> None:
    h = hall_world
    h.open("hallA")
    window = h.window("hallA", 1)
    h.take("hallA")
    slot = clock.now() + timedelta(minutes=20)
    agent = _agent(h)
    uow = h.world.platform.uow
    appt = appointments.do_book(
        uow(agent),
        h.world.units["hallA"],
        AppointmentCreate(business_type=BusinessType.PAYMENT, slot_start=slot, contact_name="王"),
    )
    ticket = appointments.do_check_in(uow(agent), appt.id)
    with pytest.raises(ConflictError):
        appointments.do_check_in(uow(agent), appt.id)
    called = queue.do_call_next(uow(agent), window)
    assert called is not None and called.id == ticket.id


def test_hall_2_day_boundary_expires_open_tickets_and_learns_service_times(
    hall_world: Halls,
) -> None:
    h = hall_world
    h.open("hallA")
    window = h.window("hallA", 1)
    done, left = h.take("hallA"), h.take("hallA")
    agent = _agent(h)
    uow = h.world.platform.uow
    queue.do_call_next(uow(agent), window)
    clock.current().advance(timedelta(minutes=6))  # type: ignore[attr-defined]
    queue.do_step(uow(agent), done.id, "complete")
    result = days.do_close_day(uow(h.world.system()))
    assert result == {"expired": 1, "stats": 1}
    with h.world.platform.engine.connect() as c:
        assert c.scalar(select(Ticket.status).where(Ticket.id == left.id)) == TicketStatus.EXPIRED
    # Next morning: numbering starts again and the wait uses the learnt 6 minutes.
    clock.current().advance(timedelta(days=1))  # type: ignore[attr-defined]
    h.take("hallA")
    nxt = h.take("hallA")
    assert nxt.number == "A0002" and nxt.predicted_wait_minutes == 6
