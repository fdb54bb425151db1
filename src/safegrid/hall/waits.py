"""People ahead and the predicted wait of a ticket (HALL-2), from the hall's own history:
the people ahead times the hall's average service time for the type (``ServiceStat``,
refreshed each evening), shared by the open windows that serve the type."""

from __future__ import annotations

import math

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from safegrid.hall.catalogue import BusinessType, TicketStatus, WindowStatus, default_minutes
from safegrid.hall.models import HallWindow, ServiceStat, Ticket


def people_ahead(s: Session, t: Ticket) -> int:
    if t.status != TicketStatus.WAITING:
        return 0
    same_line = (
        Ticket.target_window_id == t.target_window_id
        if t.target_window_id is not None
        else and_(Ticket.target_window_id.is_(None), Ticket.business_type == t.business_type)
    )
    return int(
        s.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.org_unit_id == t.org_unit_id,
                Ticket.business_day == t.business_day,
                Ticket.status == TicketStatus.WAITING,
                same_line,
                or_(
                    Ticket.priority > t.priority,
                    and_(Ticket.priority == t.priority, Ticket.id < t.id),
                ),
            )
        )
        or 0
    )


def service_minutes(s: Session, hall_id: int, kind: BusinessType) -> float:
    seconds = s.scalar(
        select(ServiceStat.avg_seconds).where(
            ServiceStat.org_unit_id == hall_id, ServiceStat.business_type == kind
        )
    )
    return seconds / 60 if seconds else default_minutes(kind)


def serving_windows(s: Session, hall_id: int, kind: BusinessType) -> int:
    skills = s.scalars(
        select(HallWindow.skills).where(
            HallWindow.org_unit_id == hall_id, HallWindow.status == WindowStatus.OPEN
        )
    ).all()
    return sum(1 for text in skills if kind.value in text.split(","))


def predicted_minutes(s: Session, hall_id: int, kind: BusinessType, ahead: int) -> int:
    windows = max(1, serving_windows(s, hall_id, kind))
    return math.ceil(ahead * service_minutes(s, hall_id, kind) / windows)
