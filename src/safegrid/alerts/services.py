"""The alert inbox: list the alerts of one's subtree, acknowledge one (AUD-3)."""

from __future__ import annotations

from sqlalchemy import func, select

from safegrid.alerts.models import Alert
from safegrid.alerts.schemas import AlertOut
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork

NOT_FOUND = "告警不存在 / alert not found"


def list_alerts(uow: UnitOfWork, open_only: bool, paging: PageQuery) -> Page[AlertOut]:
    """Newest first; the session's scope limits the list to the caller's subtree."""
    with uow:
        stmt = select(Alert)
        if open_only:
            stmt = stmt.where(Alert.acknowledged_at.is_(None))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(
            stmt.order_by(Alert.id.desc()).offset(paging.offset).limit(paging.size)
        ).all()
        return Page[AlertOut](
            items=[AlertOut.model_validate(a) for a in rows],
            total=total,
            page=paging.page,
            size=paging.size,
        )


def count_open(uow: UnitOfWork) -> int:
    with uow:
        return int(
            uow.session.scalar(
                select(func.count()).select_from(Alert).where(Alert.acknowledged_at.is_(None))
            )
            or 0
        )


def do_acknowledge(uow: UnitOfWork, alert_id: int) -> AlertOut:
    """Mark an alert as seen and dealt with; an alert outside the caller's scope is 404."""
    with uow:
        alert = uow.session.scalars(select(Alert).where(Alert.id == alert_id)).one_or_none()
        if alert is None:
            raise NotFoundError(NOT_FOUND)
        if alert.acknowledged_at is not None:
            raise ConflictError(
                f"告警已由 {alert.acknowledged_by} 确认 / already acknowledged by "
                f"{alert.acknowledged_by}",
                field="alert_id",
            )
        alert.acknowledged_at = clock.now()
        alert.acknowledged_by = uow.actor.username
        uow.audit(
            "alert.acknowledge",
            object_type="alert",
            object_id=alert.id,
            org_unit_id=alert.org_unit_id,
            after={
                "key_field": alert.key_field,
                "object": f"{alert.object_type}:{alert.object_id}",
            },
        )
        uow.commit()
        return AlertOut.model_validate(alert)
