"""People ahead and the predicted wait of a ticket (HALL-2), from the hall's own history:
the people ahead times the hall's average service time for the type (``ServiceStat``,
refreshed each evening), shared by the open windows that serve the type."""

from __future__ import annotations

import functools
import math
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session

from safegrid.hall.catalogue import BusinessType, TicketStatus, WindowStatus, default_minutes
from safegrid.hall.models import HallWindow, ServiceStat, Ticket


def ahead_and_wait(s: Session, t: Any) -> tuple[int, int]:
    """People ahead of the waiting ticket ``t`` (a ticket or a row of one) and its predicted
    minutes; (0, 0) once it is called. One statement: it runs with every ticket taken."""
    if t.status != TicketStatus.WAITING:
        return 0, 0
    by_window = t.target_window_id is not None
    values = {"hall": t.org_unit_id, "day": t.business_day, "priority": t.priority, "id": t.id}
    if by_window:
        values["window"] = t.target_window_id
    row = s.execute(_ahead_statement(by_window, t.business_type), values).one()
    people = int(row[0] or 0)
    minutes = row[2] / 60 if row[2] else default_minutes(t.business_type)
    return people, math.ceil(people * minutes / max(1, int(row[1] or 0)))


@functools.lru_cache(maxsize=64)
def _ahead_statement(by_window: bool, business_type: BusinessType) -> Select[Any]:
    """Built once per line kind and business type (the ticket's values are bound at each
    run): building it anew cost about 0.3 ms of CPU per ticket taken."""
    same_line = (
        Ticket.target_window_id == bindparam("window")
        if by_window
        else and_(Ticket.target_window_id.is_(None), Ticket.business_type == business_type)
    )
    ahead = (
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.org_unit_id == bindparam("hall"),
            Ticket.business_day == bindparam("day"),
            Ticket.status == TicketStatus.WAITING,
            same_line,
            or_(
                Ticket.priority > bindparam("priority"),
                and_(Ticket.priority == bindparam("priority"), Ticket.id < bindparam("id")),
            ),
        )
        .scalar_subquery()
    )
    # Skills are a comma list: ",payment,consult," contains ",payment," and nothing longer.
    windows = (
        select(func.count())
        .select_from(HallWindow)
        .where(
            HallWindow.org_unit_id == bindparam("hall"),
            HallWindow.status == WindowStatus.OPEN,
            (literal(",") + HallWindow.skills + literal(",")).contains(
                f",{business_type.value},", autoescape=True
            ),
        )
        .scalar_subquery()
    )
    seconds = (
        select(ServiceStat.avg_seconds)
        .where(
            ServiceStat.org_unit_id == bindparam("hall"),
            ServiceStat.business_type == business_type,
        )
        .scalar_subquery()
    )
    return select(ahead, windows, seconds)
