"""People ahead and the predicted wait of a ticket (HALL-2), from the hall's own history:
the people ahead times the hall's average service time for the type (``ServiceStat``,
refreshed each evening), shared by the open windows that serve the type."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from safegrid.hall.catalogue import TicketStatus, WindowStatus, default_minutes
from safegrid.hall.models import HallWindow, ServiceStat, Ticket


def ahead_and_wait(s: Session, t: Any) -> tuple[int, int]:
    """People ahead of the waiting ticket ``t`` (a ticket or a row of one) and its predicted
    minutes; (0, 0) once it is called. One statement: it runs with every ticket taken."""
    if t.status != TicketStatus.WAITING:
        return 0, 0
    same_line = (
        Ticket.target_window_id == t.target_window_id
        if t.target_window_id is not None
        else and_(Ticket.target_window_id.is_(None), Ticket.business_type == t.business_type)
    )
    ahead = (
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
        .scalar_subquery()
    )
    # Skills are a comma list: ",payment,consult," contains ",payment," and nothing longer.
    windows = (
        select(func.count())
        .select_from(HallWindow)
        .where(
            HallWindow.org_unit_id == t.org_unit_id,
            HallWindow.status == WindowStatus.OPEN,
            (literal(",") + HallWindow.skills + literal(",")).contains(
                f",{t.business_type.value},", autoescape=True
            ),
        )
        .scalar_subquery()
    )
    seconds = (
        select(ServiceStat.avg_seconds)
        .where(
            ServiceStat.org_unit_id == t.org_unit_id,
            ServiceStat.business_type == t.business_type,
        )
        .scalar_subquery()
    )
    row = s.execute(select(ahead, windows, seconds)).one()
    people = int(row[0] or 0)
    minutes = row[2] / 60 if row[2] else default_minutes(t.business_type)
    return people, math.ceil(people * minutes / max(1, int(row[1] or 0)))
