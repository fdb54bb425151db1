"""HALL-4: a queue over its threshold or a wait over its limit raises an alert through the
alerts channel (the managers' inbox and their SMS), in the transaction of the change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from safegrid.alerts.raise_alert import raise_alert
from safegrid.hall.catalogue import BusinessType, TicketStatus, type_label
from safegrid.hall.models import HallProfile, Ticket
from safegrid.platform import clock
from safegrid.platform.uow import UnitOfWork
from safegrid.security.scope import unscoped


def queue_over_threshold(
    uow: UnitOfWork, hall_id: int, threshold: int, kind: BusinessType, waiting: int
) -> int | None:
    """Alert when this ticket is the one that took the line past the threshold (once per
    crossing, not once per ticket above it)."""
    if waiting != threshold + 1:
        return None
    return raise_alert(
        uow.session,
        kind="hall_queue",
        object_type="hall",
        object_id=str(hall_id),
        label=kind.value,
        before=str(threshold),
        after=str(waiting),
        unit_id=hall_id,
        actor=uow.actor,
        text=f"营业厅排队超限：{type_label(kind)} 等候 {waiting} 人（阈值 "
        f"{threshold}）/ hall queue over threshold",
    )


def flag_long_waits(uow: UnitOfWork) -> int:
    """One alert per hall whose tickets have waited past its limit, each ticket once."""
    s = uow.session
    now = clock.now()
    every_hall = unscoped("the wait check runs over every hall's queue")
    rows = s.execute(
        select(HallProfile.org_unit_id, HallProfile.wait_limit_minutes, func.count(Ticket.id))
        .join(Ticket, Ticket.org_unit_id == HallProfile.org_unit_id)
        .where(
            Ticket.status == TicketStatus.WAITING,
            Ticket.wait_alerted.is_(False),
            Ticket.business_day == clock.business_day(now),
        )
        .group_by(HallProfile.org_unit_id, HallProfile.wait_limit_minutes),
        execution_options=every_hall,
    ).all()
    flagged = 0
    for hall_id, limit, _ in rows:
        cutoff = now - timedelta(minutes=limit)
        late = list(
            s.scalars(
                update(Ticket)
                .where(
                    Ticket.org_unit_id == hall_id,
                    Ticket.status == TicketStatus.WAITING,
                    Ticket.wait_alerted.is_(False),
                    Ticket.taken_at < cutoff,
                )
                .values(wait_alerted=True)
                .returning(Ticket.number),
                execution_options={**every_hall, "synchronize_session": False},
            )
        )
        if not late:
            continue
        alert_id = raise_alert(
            s,
            kind="hall_wait",
            object_type="hall",
            object_id=str(hall_id),
            label=None,
            before=str(limit),
            after=",".join(late[:20]),
            unit_id=hall_id,
            actor=uow.actor,
            text=f"营业厅等候超时：{len(late)} 人等候超过 {limit} 分钟 / waits over the limit",
        )
        uow.audit(
            "hall.wait_alert",
            object_type="hall",
            object_id=hall_id,
            org_unit_id=hall_id,
            after={"tickets": late[:50], "count": len(late), "alert_id": alert_id},
        )
        flagged += len(late)
    return flagged
