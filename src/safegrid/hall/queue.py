"""The hall queue (HALL-2): take a ticket, call the next one to a window, re-call,
transfer, no-show, complete, rate.

Calling next is one conditional UPDATE whose target is chosen by a sub-select that skips
rows another caller has locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
serialises writers), and which only changes a ticket still ``waiting``: two windows
pressing "next" in the same millisecond get two different tickets, never one twice. Every
other transition is a conditional UPDATE on the ticket's current status too, so a lost
race is a 409, not a double change.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from sqlalchemy import Row, Table, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from safegrid.customers.models import Customer
from safegrid.hall import alarms, queue_batches, store, waits
from safegrid.hall.catalogue import BusinessType, TicketStatus, WindowStatus, letter
from safegrid.hall.halls import NO_WINDOW, hall_threshold
from safegrid.hall.models import HallWindow, Ticket
from safegrid.hall.schemas import Rating, TicketOut, TicketTake, Transfer
from safegrid.org.models import OrgUnit
from safegrid.payments.counter.halls import works_at
from safegrid.platform import clock, numbering
from safegrid.platform.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationProblem,
)
from safegrid.platform.sql_dialect import claim_skipping_locked
from safegrid.platform.uow import UnitOfWork

NO_TICKET = "排队号不存在 / ticket not found"
OTHER_HALL = "该窗口不属于您所在的营业厅 / this window belongs to another hall"
T = cast(Table, Ticket.__table__)
# Once: a fresh alias builds a proxy of each of the table's 20 columns when first read,
# which cost call-next about 0.7 ms of CPU per press.
_BUSY = T.alias("busy")
# A ticket is read and returned as a row, not an entity: a queue operation reads one
# ticket once, and the ORM's identity bookkeeping would cost more than the statement.
# (The entity's columns, so the row scope still applies to every read.)
Record = Row[*tuple[Any, ...]]  # a row of any columns, read by name
TICKET = tuple(getattr(Ticket, c.key) for c in T.c)

# The queue's statements are built once, their values bound at each run: building them
# anew (operators, coercions, a fresh cache key) cost each operation more CPU than the
# database spent running them.
_INSERT = insert(T).returning(*T.c)
_WINDOW_TO_CALL = (
    select(
        HallWindow.id,
        HallWindow.org_unit_id,
        HallWindow.number,
        HallWindow.skills,
        HallWindow.status,
        OrgUnit.id.label("hall_id"),
        OrgUnit.parent_id.label("hall_parent_id"),
    )
    .join(OrgUnit, OrgUnit.id == HallWindow.org_unit_id)
    .where(HallWindow.id == bindparam("window"))
    .with_for_update(of=HallWindow)
)
# "Not serving" sits inside the claim, so a serving window locks no ticket; the claim is a
# new statement, so it sees what a press it waited for committed.
_PICK = claim_skipping_locked(
    select(T.c.id)
    .where(
        ~exists().where(
            _BUSY.c.window_id == bindparam("window"), _BUSY.c.status == TicketStatus.CALLED
        ),
        T.c.org_unit_id == bindparam("hall"),
        T.c.business_day == bindparam("day"),
        T.c.status == TicketStatus.WAITING,
        or_(
            T.c.target_window_id == bindparam("window"),
            and_(
                T.c.target_window_id.is_(None),
                T.c.business_type.in_(bindparam("skills", expanding=True)),
            ),
        ),
    )
    .order_by(T.c.target_window_id.is_(None), T.c.priority.desc(), T.c.id)
    .limit(1)
).scalar_subquery()
_CALL = (
    update(T)
    .where(T.c.id == _PICK, T.c.status == TicketStatus.WAITING)
    .values(
        status=TicketStatus.CALLED,
        window_id=bindparam("window"),
        target_window_id=None,
        called_at=bindparam("now"),
        call_count=1,
        served_by=bindparam("by"),
    )
    .returning(*T.c)
)
_SERVING_NUMBER = select(T.c.number).where(
    T.c.window_id == bindparam("window"), T.c.status == TicketStatus.CALLED
)
_SERVING = (
    select(
        *TICKET,
        HallWindow.number.label("at_window"),
        *(OrgUnit.id.label("hall_id"), OrgUnit.parent_id.label("hall_parent_id")),
    )
    .outerjoin(HallWindow, HallWindow.id == Ticket.window_id)
    .outerjoin(OrgUnit, OrgUnit.id == HallWindow.org_unit_id)
    .where(Ticket.id == bindparam("ticket"))
)
_RECALL = (
    update(T)
    .where(T.c.id == bindparam("ticket"), T.c.status == TicketStatus.CALLED)
    .values(call_count=T.c.call_count + 1)
    .returning(*T.c)
)
_END = (
    update(T)
    .where(T.c.id == bindparam("ticket"), T.c.status == TicketStatus.CALLED)
    .values(
        status=bindparam("to"),
        finished_at=bindparam("now"),
        service_seconds=bindparam("seconds"),
    )
    .returning(*T.c)
)
# The entity's UPDATE, so the row scope applies; only a refusal reads the ticket again to
# say why.
_RATE = (
    update(Ticket)
    .where(
        Ticket.id == bindparam("ticket"),
        Ticket.status == TicketStatus.COMPLETED,
        Ticket.rating.is_(None),
    )
    .values(rating=bindparam("score"), rating_comment=bindparam("comment"))
    .returning(*TICKET)
)


def _out(t: Record, people_ahead: int = 0, wait: int = 0, window: int | None = None) -> TicketOut:
    return TicketOut(
        id=t.id,
        hall_id=t.org_unit_id,
        number=t.number,
        business_type=t.business_type,
        status=t.status.value,
        business_day=t.business_day,
        taken_at=t.taken_at,
        people_ahead=people_ahead,
        predicted_wait_minutes=wait,
        window_id=t.window_id,
        window_number=window,
    )


def _facts(t: Record) -> dict[str, Any]:
    return {"number": t.number, "business_type": t.business_type.value, "priority": t.priority}


def do_take_ticket(uow: UnitOfWork, hall_id: int, data: TicketTake) -> TicketOut:
    """A numbered ticket for today (from the kiosk, the portal, the phone line or an agent),
    with the people ahead of it and the wait predicted from the hall's own history."""
    return queue_batches.run(uow, take_job(hall_id, data))


def take_job(hall_id: int, data: TicketTake) -> queue_batches.Job[TicketOut]:
    return queue_batches.Job(
        (queue_batches.TAKE, hall_id, data.business_type), lambda u: take(u, hall_id, data)
    )


def take(uow: UnitOfWork, hall_id: int, data: TicketTake) -> TicketOut:
    """The ticket inside the caller's unit of work (an appointment's check-in adds its link)."""
    s = uow.session
    threshold = hall_threshold(uow, hall_id)
    if data.customer_id is not None and s.get(Customer, data.customer_id) is None:
        raise ValidationProblem("客户不存在 / unknown customer", field="customer_id")
    now = clock.now()
    day = clock.business_day(now)
    code = letter(data.business_type)
    # One counter row per hall, day and type: numbers are gapless per line and never
    # handed out twice, however many kiosks take at once (platform.numbering).
    prefix = f"Q{hall_id}-{day:%Y%m%d}-{code}"
    [full] = numbering.take(s, prefix, digits=4)
    ticket = s.execute(
        _INSERT,
        {
            "org_unit_id": hall_id,
            "business_day": day,
            "business_type": data.business_type,
            "number": code + full[len(prefix) :],
            "priority": int(data.priority),
            "channel": data.channel,
            "customer_id": data.customer_id,
            "status": TicketStatus.WAITING,
            "taken_at": now,
            "call_count": 0,
        },
    ).one()
    ahead, minutes = waits.ahead_and_wait(s, ticket)
    # The audit chain's head row is locked until commit: take it last.
    store.append(
        uow,
        [
            store.Fact(
                hall_id,
                store.TICKET_TAKEN,
                {**_facts(ticket), "channel": data.channel.value, "predicted": minutes},
                ticket_id=ticket.id,
                customer_id=ticket.customer_id,
            )
        ],
    )
    alarms.queue_over_threshold(uow, hall_id, threshold, data.business_type, ahead + 1)
    uow.audit(
        "hall.ticket_take",
        object_type="hall_ticket",
        object_id=ticket.id,
        org_unit_id=hall_id,
        after={**_facts(ticket), "channel": data.channel.value},
    )
    return _out(ticket, ahead, minutes)


class _Hall(NamedTuple):
    id: int
    parent_id: int | None


def _works_here(uow: UnitOfWork, row: Record) -> None:
    """Agents act only at their own hall (system actors drive simulations); ``row`` holds
    the hall's ``hall_id`` and ``hall_parent_id``."""
    if uow.actor.account_id is not None and not works_at(
        uow.actor.org_unit_id, _Hall(row.hall_id, row.hall_parent_id)
    ):
        raise PermissionDeniedError(OTHER_HALL)


def _window_to_call(uow: UnitOfWork, window_id: int) -> Record:
    """The caller's window with its hall (as columns: the entity cost every press ~0.1 ms
    of CPU), its row locked until the transaction ends."""
    row = uow.session.execute(_WINDOW_TO_CALL, {"window": window_id}).first()
    if row is None:
        raise NotFoundError(NO_WINDOW)
    _works_here(uow, row)
    return row


def _serving_number(uow: UnitOfWork, window_id: int) -> str | None:
    return uow.session.scalar(_SERVING_NUMBER, {"window": window_id})


def do_call_next(uow: UnitOfWork, window_id: int) -> TicketOut | None:
    """Call the next ticket this window serves: first one transferred to it by name, then
    by priority (优先 > 预约 > normal), then the earliest. None when nobody waits."""
    return queue_batches.run(uow, call_next_job(window_id))


def call_next_job(window_id: int) -> queue_batches.Job[TicketOut | None]:
    return queue_batches.Job((queue_batches.CALL, window_id), lambda u: _call_next(u, window_id))


def _call_next(uow: UnitOfWork, window_id: int) -> TicketOut | None:
    s = uow.session
    # Presses at one window queue on its row: a second press waits for the first to
    # commit and then finds the window serving, before it has locked a ticket that
    # another window would then skip as taken and miss.
    window = _window_to_call(uow, window_id)
    if window.status != WindowStatus.OPEN:
        raise ConflictError("窗口未开放 / the window is not open", field="window_id")
    now = clock.now()
    try:
        ticket = s.execute(
            _CALL,
            {
                "window": window.id,
                "hall": window.org_unit_id,
                "day": clock.business_day(now),
                "skills": [BusinessType(k) for k in window.skills.split(",")],
                "now": now,
                "by": uow.actor.username[:64],
            },
        ).first()
    except IntegrityError:
        # Another press at this same window won the one serving slot.
        raise ConflictError(
            "该窗口正在叫号 / this window is already calling", field="window_id"
        ) from None
    if ticket is None:
        number = _serving_number(uow, window.id)
        if number is not None:
            raise ConflictError(
                f"请先办结 {number} / finish ticket {number} first", field="window_id"
            )
        return None
    store.append(uow, [_fact(ticket, store.TICKET_CALLED, window.number)])
    uow.audit(
        "hall.ticket_call",
        object_type="hall_ticket",
        object_id=ticket.id,
        org_unit_id=ticket.org_unit_id,
        after={"number": ticket.number, "window": window.number},
    )
    return _out(ticket, window=window.number)


def _fact(t: Record, kind: str, window_number: int | None, **extra: Any) -> store.Fact:
    return store.Fact(
        t.org_unit_id,
        kind,
        {**_facts(t), "window": window_number, **extra},
        ticket_id=t.id,
        customer_id=t.customer_id,
        window_id=t.window_id,
    )


def _serving(uow: UnitOfWork, ticket_id: int) -> tuple[Record, int]:
    """A ticket being served at a window of the caller's hall, and that window's number
    (ticket, window and hall in one read)."""
    row = uow.session.execute(_SERVING, {"ticket": ticket_id}).first()
    if row is None:
        raise NotFoundError(NO_TICKET)
    if row.status != TicketStatus.CALLED or row.window_id is None:
        raise ConflictError(
            f"{row.number} 不在办理中 / ticket {row.number} is not being served",
            field="ticket_id",
        )
    if row.at_window is None or row.hall_id is None:
        raise NotFoundError(NO_WINDOW)
    _works_here(uow, row)
    return row, row.at_window


def _move(uow: UnitOfWork, ticket: Record, expect: TicketStatus, **values: Any) -> Record:
    """Change the ticket only if it is still in ``expect`` (a concurrent change → 409);
    returns it as changed."""
    return _moved(
        ticket,
        uow.session.execute(
            update(T)
            .where(T.c.id == ticket.id, T.c.status == expect)
            .values(**values)
            .returning(*T.c)
        ).first(),
    )


def _moved(ticket: Record, done: Record | None) -> Record:
    """The ticket as a conditional UPDATE left it, or 409 if it had changed meanwhile."""
    if done is None:
        raise ConflictError(
            f"{ticket.number} 状态已变化 / ticket {ticket.number} changed meanwhile",
            field="ticket_id",
        )
    return done


def _finish(uow: UnitOfWork, ticket_id: int, kind: str, to: TicketStatus) -> TicketOut:
    ticket, window_number = _serving(uow, ticket_id)
    if kind == store.TICKET_RECALLED:
        done = uow.session.execute(_RECALL, {"ticket": ticket.id}).first()
    else:
        now = clock.now()
        called = ticket.called_at or now
        done = uow.session.execute(
            _END,
            {
                "ticket": ticket.id,
                "to": to,
                "now": now,
                "seconds": int((now - called).total_seconds()),
            },
        ).first()
    ticket = _moved(ticket, done)
    store.append(uow, [_fact(ticket, kind, window_number, calls=ticket.call_count)])
    uow.audit(
        f"hall.{kind}",
        object_type="hall_ticket",
        object_id=ticket.id,
        org_unit_id=ticket.org_unit_id,
        after={"number": ticket.number, "status": ticket.status.value},
    )
    return _out(ticket, window=window_number)


_STEPS = {
    "recall": (store.TICKET_RECALLED, TicketStatus.CALLED),
    "no_show": (store.TICKET_NO_SHOW, TicketStatus.NO_SHOW),
    "complete": (store.TICKET_COMPLETED, TicketStatus.COMPLETED),
}


def do_step(uow: UnitOfWork, ticket_id: int, step: str) -> TicketOut:
    """Call the ticket at its window again, record a no-show, or complete it."""
    return queue_batches.run(uow, step_job(ticket_id, step))


def step_job(ticket_id: int, step: str) -> queue_batches.Job[TicketOut]:
    if step not in _STEPS:
        raise ValidationProblem(f"未知操作 / unknown step {step!r}", field="step")
    kind, to = _STEPS[step]
    return queue_batches.Job(
        (queue_batches.TICKET, ticket_id), lambda u: _finish(u, ticket_id, kind, to)
    )


def do_transfer(uow: UnitOfWork, ticket_id: int, data: Transfer) -> TicketOut:
    """Back into the queue for another business type or a named window of the same hall;
    it keeps its number and place (its id), so it is called before later arrivals."""
    return queue_batches.run(uow, transfer_job(ticket_id, data))


def transfer_job(ticket_id: int, data: Transfer) -> queue_batches.Job[TicketOut]:
    return queue_batches.Job(
        (queue_batches.TICKET, ticket_id), lambda u: _transfer(u, ticket_id, data)
    )


def _transfer(uow: UnitOfWork, ticket_id: int, data: Transfer) -> TicketOut:
    ticket, window_number = _serving(uow, ticket_id)
    values: dict[str, Any] = {"status": TicketStatus.WAITING, "window_id": None}
    if data.window_id is not None:
        target = uow.session.execute(
            select(HallWindow.id, HallWindow.org_unit_id).where(HallWindow.id == data.window_id)
        ).first()
        if target is None or target.org_unit_id != ticket.org_unit_id:
            raise ValidationProblem(
                "目标窗口不在本厅 / the target window is not in this hall", field="window_id"
            )
        if target.id == ticket.window_id:
            raise ValidationProblem(
                "不能转给本窗口 / transfer to another window", field="window_id"
            )
        values["target_window_id"] = target.id
    else:
        values["business_type"] = data.business_type
    ticket = _move(uow, ticket, TicketStatus.CALLED, **values)
    uow.audit(
        "hall.ticket_transfer",
        object_type="hall_ticket",
        object_id=ticket.id,
        org_unit_id=ticket.org_unit_id,
        after={"number": ticket.number, **data.model_dump(mode="json")},
    )
    store.append(
        uow,
        [
            _fact(
                ticket,
                store.TICKET_TRANSFERRED,
                window_number,
                to_window=data.window_id,
            )
        ],
    )
    return _out(ticket)


def _ticket(uow: UnitOfWork, ticket_id: int) -> Record:
    ticket = uow.session.execute(select(*TICKET).where(Ticket.id == ticket_id)).first()
    if ticket is None:
        raise NotFoundError(NO_TICKET)
    return ticket


def do_rate(uow: UnitOfWork, ticket_id: int, data: Rating) -> TicketOut:
    """The evaluation pad's 1–5 and comment, once, for a ticket that was served."""
    return queue_batches.run(uow, rate_job(ticket_id, data))


def rate_job(ticket_id: int, data: Rating) -> queue_batches.Job[TicketOut]:
    return queue_batches.Job((queue_batches.TICKET, ticket_id), lambda u: _rate(u, ticket_id, data))


def _rate(uow: UnitOfWork, ticket_id: int, data: Rating) -> TicketOut:
    ticket = uow.session.execute(
        _RATE,
        {"ticket": ticket_id, "score": data.score, "comment": data.comment or None},
        execution_options={"synchronize_session": False},
    ).first()
    if ticket is None:
        if _ticket(uow, ticket_id).status != TicketStatus.COMPLETED:
            raise ConflictError(
                "只能评价已办结的业务 / only a served ticket can be rated", field="ticket_id"
            )
        raise ConflictError("该业务已评价 / this ticket is already rated", field="ticket_id")
    store.append(
        uow, [_fact(ticket, store.TICKET_RATED, None, score=data.score, comment=data.comment)]
    )
    uow.audit(
        "hall.ticket_rate",
        object_type="hall_ticket",
        object_id=ticket.id,
        org_unit_id=ticket.org_unit_id,
        after={"number": ticket.number, "rating": data.score},
    )
    return _out(ticket)


def ticket_status(uow: UnitOfWork, ticket_id: int) -> TicketOut:
    with uow:
        ticket = _ticket(uow, ticket_id)
        ahead, minutes = waits.ahead_and_wait(uow.session, ticket)
        window = (
            uow.session.scalar(select(HallWindow.number).where(HallWindow.id == ticket.window_id))
            if ticket.window_id
            else None
        )
        return _out(ticket, ahead, minutes, window)
