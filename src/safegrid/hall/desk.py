"""What an agent at a window sees (HALL-2): the window, the ticket at it, the one just
finished and still to be rated on the evaluation pad, and who waits for the window."""

from __future__ import annotations

import dataclasses

from sqlalchemy import ColumnElement, func, select

from safegrid.hall.catalogue import BusinessType, TicketStatus
from safegrid.hall.halls import window_in_scope
from safegrid.hall.models import Ticket
from safegrid.hall.schemas import WindowOut
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class DeskTicket:
    id: int
    number: str
    business_type: BusinessType
    call_count: int


@dataclasses.dataclass(frozen=True)
class Desk:
    window: WindowOut
    hall_name: str
    serving: DeskTicket | None
    to_rate: DeskTicket | None
    waiting: dict[str, int]


def desk(uow: UnitOfWork, window_id: int) -> Desk:
    with uow:
        s = uow.session
        w = window_in_scope(uow, window_id)
        hall = s.get_one(OrgUnit, w.org_unit_id)
        day = clock.business_day()

        def one(*where: ColumnElement[bool]) -> DeskTicket | None:
            t = s.scalars(
                select(Ticket)
                .where(Ticket.window_id == w.id, Ticket.business_day == day, *where)
                .order_by(Ticket.finished_at.desc(), Ticket.id.desc())
                .limit(1)
            ).first()
            return None if t is None else DeskTicket(t.id, t.number, t.business_type, t.call_count)

        skills = w.skills.split(",")
        waiting = dict(
            s.execute(
                select(Ticket.business_type, func.count())
                .where(
                    Ticket.org_unit_id == w.org_unit_id,
                    Ticket.business_day == day,
                    Ticket.status == TicketStatus.WAITING,
                    Ticket.business_type.in_(skills),
                )
                .group_by(Ticket.business_type)
            ).all()
        )
        return Desk(
            window=WindowOut.model_validate(w),
            hall_name=hall.name,
            serving=one(Ticket.status == TicketStatus.CALLED),
            to_rate=one(Ticket.status == TicketStatus.COMPLETED, Ticket.rating.is_(None)),
            waiting={k.value: int(v) for k, v in waiting.items()},
        )
