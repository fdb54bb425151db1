"""The day boundary (HALL-2): after closing, tickets still waiting or at a window expire
(a ticket is valid on its own business day only: call-next never looks at another day), and
each hall's average service times are recomputed from its last four weeks for tomorrow's
predicted waits."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, insert, literal, select, update

from safegrid.hall import store
from safegrid.hall.catalogue import TicketStatus
from safegrid.hall.models import ServiceStat, Ticket
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped

HISTORY_DAYS = 28
OPEN = (TicketStatus.WAITING, TicketStatus.CALLED)


def do_close_day(uow: UnitOfWork, through: date | None = None) -> dict[str, int]:
    """Expire the open tickets of ``through`` (default today) and earlier, in every hall the
    caller sees; refresh the service-time statistics. Idempotent."""
    day = through or clock.business_day()
    with uow:
        s = uow.session
        expired = s.execute(
            update(Ticket)
            .where(Ticket.business_day <= day, Ticket.status.in_(OPEN))
            .values(status=TicketStatus.EXPIRED, finished_at=clock.now())
            .returning(
                Ticket.id, Ticket.org_unit_id, Ticket.number, Ticket.customer_id, Ticket.window_id
            ),
            execution_options={"synchronize_session": False},
        ).all()
        store.append(
            uow,
            [
                store.Fact(
                    r.org_unit_id,
                    store.TICKET_EXPIRED,
                    {"number": r.number, "business_day": day.isoformat()},
                    ticket_id=r.id,
                    customer_id=r.customer_id,
                    window_id=r.window_id,
                )
                for r in expired
            ],
        )
        stats = refresh_service_stats(uow, day)
        uow.audit(
            "hall.close_day",
            object_type="hall",
            after={"through": day.isoformat(), "expired": len(expired), "stats": stats},
        )
        uow.commit()
        return {"expired": len(expired), "stats": stats}


def refresh_service_stats(uow: UnitOfWork, day: date) -> int:
    """Replace the averages with those of the ``HISTORY_DAYS`` before ``day`` (inclusive)."""
    s = uow.session
    every_hall = unscoped("service-time statistics are recomputed for every hall at once")
    s.execute(delete(ServiceStat), execution_options={**every_hall, "synchronize_session": False})
    since = day - timedelta(days=HISTORY_DAYS - 1)
    source = (
        select(
            Ticket.org_unit_id,
            Ticket.business_type,
            func.cast(func.avg(Ticket.service_seconds), ServiceStat.avg_seconds.type),
            func.count(),
            literal(clock.now(), ServiceStat.computed_at.type),
        )
        .where(
            Ticket.business_day.between(since, day),
            Ticket.status == TicketStatus.COMPLETED,
            Ticket.service_seconds.is_not(None),
        )
        .group_by(Ticket.org_unit_id, Ticket.business_type)
    )
    made = s.execute(
        insert(ServiceStat)
        .from_select(
            ["org_unit_id", "business_type", "avg_seconds", "samples", "computed_at"], source
        )
        .returning(ServiceStat.id),
        execution_options=every_hall,
    ).all()
    return len(made)
