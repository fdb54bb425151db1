"""Reading the outbox and relaying it to an external channel."""

from __future__ import annotations

from sqlalchemy import func, select

from safegrid.notifications.channel import DeliveryError, Message, Notifier
from safegrid.notifications.models import Notification, NotificationStatus
from safegrid.notifications.schemas import DispatchResult, NotificationOut
from safegrid.platform import clock
from safegrid.platform.errors import ValidationProblem
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork

MAX_ATTEMPTS = 5


def list_notifications(
    uow: UnitOfWork, status: str | None, topic: str | None, paging: PageQuery
) -> Page[NotificationOut]:
    try:
        status_value = NotificationStatus(status) if status else None
    except ValueError:
        raise ValidationProblem(f"unknown status {status!r}", field="status") from None
    with uow:
        stmt = select(Notification)
        if status_value is not None:
            stmt = stmt.where(Notification.status == status_value)
        if topic:
            stmt = stmt.where(Notification.topic == topic)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(
            stmt.order_by(Notification.id.desc()).offset(paging.offset).limit(paging.size)
        ).all()
        return Page[NotificationOut](
            items=[NotificationOut.masked(n) for n in rows],
            total=total,
            page=paging.page,
            size=paging.size,
        )


def do_dispatch(uow: UnitOfWork, gateway: Notifier, limit: int = 200) -> DispatchResult:
    """Relay queued messages (oldest first) through ``gateway``; one audit entry per batch.
    A message failing ``MAX_ATTEMPTS`` times stays ``failed`` for a person to look at."""
    sent = failed = 0
    with uow:
        rows = uow.session.scalars(
            select(Notification)
            .where(Notification.status == NotificationStatus.QUEUED)
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        for n in rows:
            n.attempts += 1
            try:
                gateway.send(
                    Message(
                        channel=n.channel,
                        recipient=n.recipient,
                        topic=n.topic,
                        body=n.body,
                        org_unit_id=n.org_unit_id,
                        subject_type=n.subject_type,
                        subject_id=n.subject_id,
                    )
                )
            except DeliveryError as exc:
                n.error = str(exc)[:300]
                if n.attempts >= MAX_ATTEMPTS:
                    n.status = NotificationStatus.FAILED
                failed += 1
                continue
            n.status = NotificationStatus.SENT
            n.sent_at = clock.now()
            n.error = None
            sent += 1
        if rows:
            uow.audit(
                "notification.dispatch",
                object_type="notification",
                after={"sent": sent, "failed": failed},
            )
            uow.commit()
    return DispatchResult(sent=sent, failed=failed)
